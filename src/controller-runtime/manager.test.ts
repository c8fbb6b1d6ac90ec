import { KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { Controller } from "./controller.js";
import { Informer, type ListWatcher } from "./informer.js";
import { NotLeaderError } from "./leader-election/fence.js";
import type { LeaderLock, LeadershipCallbacks } from "./leader-election/lease.js";
import { Manager } from "./manager.js";
import { createMetricsRegistry } from "./metrics.js";

const CONFIG_MAPS = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };

/** A lock the test hands out and takes away, standing in for a Lease that renews or lapses. */
class HandedLock implements LeaderLock {
  #callbacks: LeadershipCallbacks | undefined;
  #leading = false;
  /** Resolves when the manager finished stepping down, as the lease elector awaits it before campaigning. */
  steppedDown: Promise<void> | undefined;

  start(callbacks: LeadershipCallbacks): void {
    this.#callbacks = callbacks;
  }
  async stop(): Promise<void> {
    this.#leading = false;
  }
  isLeader(): boolean {
    return this.#leading;
  }
  holdsLock(): boolean {
    return this.#leading;
  }
  grant(): void {
    this.#leading = true;
    this.#callbacks?.onStartedLeading();
  }
  lapse(): void {
    this.#leading = false;
    this.steppedDown = Promise.resolve(this.#callbacks?.onStoppedLeading());
  }
}

/** A cache of ConfigMaps listed once from memory; the watch never delivers anything. */
function staticInformer(names: string[]): Informer<KubernetesObject> {
  const items = names.map((name) => ({ metadata: { namespace: "ns", name, resourceVersion: "1" } }));
  const source: ListWatcher<KubernetesObject> = {
    list: async () =>
      ({ items, metadata: { resourceVersion: "1" } }) as unknown as KubernetesListObject<KubernetesObject>,
    watch: (_options, _onEvent, signal) =>
      new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
  };
  return new Informer({ type: CONFIG_MAPS, listWatcher: source });
}

function unreachableCluster(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: "none", server: "https://127.0.0.1:1", skipTLSVerify: true },
    {
      name: "nobody",
    },
  );
  return kubeConfig;
}

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function setUp() {
  const lock = new HandedLock();
  const manager = new Manager({
    kubeConfig: unreachableCluster(),
    leaderLock: lock,
    metrics: createMetricsRegistry(),
  });
  const informer = staticInformer(["a", "b"]);
  const reconciled: string[] = [];
  let release: (() => void) | undefined;
  const controller = new Controller({
    name: "step-down",
    metrics: manager.metrics,
    reconciler: {
      async reconcile(key) {
        if (key === "ns/slow") await new Promise<void>((resolve) => (release = resolve));
        reconciled.push(key);
      },
    },
  });
  controller.watch(informer);
  manager.addController(controller);
  return { lock, manager, informer, controller, reconciled, releaseSlow: () => release?.() };
}

describe("Manager leadership", () => {
  it("reconciles only while leading; a step-down drains, a new term re-queues every cached key", async () => {
    const { lock, manager, informer, controller, reconciled, releaseSlow } = setUp();
    informer.start();
    await manager.start();
    await informer.waitForSync(1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reconciled).toEqual([]);

    lock.grant();
    await until(() => reconciled.length === 2);
    expect(reconciled.sort()).toEqual(["ns/a", "ns/b"]);

    controller.enqueue("ns/slow");
    await until(() => controller.queue.inFlight === 1);
    lock.lapse();
    // Stepping down waits for the reconcile in flight; meanwhile nothing new is taken.
    let steppedDown = false;
    void lock.steppedDown?.then(() => (steppedDown = true));
    controller.enqueue("ns/while-down");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(steppedDown).toBe(false);
    releaseSlow();
    await lock.steppedDown;
    expect(reconciled).toEqual(["ns/a", "ns/b", "ns/slow"]);
    const firstQueue = controller.queue;
    expect(firstQueue.shuttingDown).toBe(true);

    reconciled.length = 0;
    lock.grant();
    await until(() => reconciled.length === 3);
    expect(controller.queue).not.toBe(firstQueue);
    // The key queued while down waited for the new term, and every cached key came back; first the live change.
    expect(reconciled[0]).toBe("ns/while-down");
    expect(reconciled.slice(1).sort()).toEqual(["ns/a", "ns/b"]);
    expect(manager.isLeader()).toBe(true);

    await manager.stop();
    await informer.stop();
  });

  it("refuses writes unless the lock is held, and lets reads through", async () => {
    const { lock, manager } = setUp();
    await manager.start();
    const write = () => manager.client.mergePatch(CONFIG_MAPS, { namespace: "ns", name: "a" }, {});
    await expect(write()).rejects.toBeInstanceOf(NotLeaderError);
    lock.grant();
    // Held: the write is sent (and fails only because nothing listens there).
    await expect(write()).rejects.not.toBeInstanceOf(NotLeaderError);
    lock.lapse();
    await lock.steppedDown;
    await expect(write()).rejects.toBeInstanceOf(NotLeaderError);
    await expect(manager.client.get(CONFIG_MAPS, "a", "ns")).rejects.not.toBeInstanceOf(NotLeaderError);
    await manager.stop();
  });
});
