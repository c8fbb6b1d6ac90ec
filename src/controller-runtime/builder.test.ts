import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { controllerFor, controllerOwnerKey } from "./builder.js";
import { type ChangeSource, Controller, type ControllerOptions, type ObjectSource } from "./controller.js";
import type { EventHandler } from "./informer.js";
import type { Manager } from "./manager.js";
import { createMetricsRegistry } from "./metrics.js";
import { Store } from "./store.js";
import type { Priority } from "./workqueue.js";

/** Records what it is asked to queue instead of queueing it. */
class RecordingController extends Controller {
  readonly queued: [string, Priority][] = [];
  override enqueue(key: string, priority: Priority = "high"): void {
    this.queued.push([key, priority]);
  }
}

function manager(): Manager & { added: Controller[] } {
  const added: Controller[] = [];
  const fake = {
    metrics: createMetricsRegistry().metrics,
    addController: (controller: Controller) => added.push(controller),
    added,
  };
  return fake as unknown as Manager & { added: Controller[] };
}

/** An object source whose events the test fires. */
function source(withStore = true) {
  const handlers: EventHandler<KubernetesObject>[] = [];
  const store = new Store<KubernetesObject>();
  const objectSource: ObjectSource<KubernetesObject> = {
    addEventHandler: (handler) => handlers.push(handler),
    ...(withStore && { store }),
  };
  return {
    objectSource,
    store,
    fire: (call: (h: EventHandler<KubernetesObject>) => void) => handlers.forEach(call),
  };
}

const object = (name: string, namespace = "ns", extra: Partial<KubernetesObject> = {}): KubernetesObject => ({
  metadata: { name, namespace },
  ...extra,
});
const reconciler = { reconcile: async () => undefined };
const NAMES = { metrics: "Test", logger: "controllers.Test" };
const build = (configure: (b: ReturnType<typeof controllerFor>) => void, m = manager()) => {
  const builder = controllerFor(m, NAMES).reconciler(reconciler);
  configure(builder);
  return builder.build((options: ControllerOptions) => new RecordingController(options));
};

describe("controllerFor", () => {
  it("names the controller, registers it on the manager and queues its seeds", () => {
    const m = manager();
    const controller = build((b) => b.seed("ns-a"), m);
    expect(controller.name).toBe("Test");
    expect(m.added).toEqual([controller]);
    expect(controller.queued).toEqual([["ns-a", "high"]]);
  });

  it("for: the first list at low priority, live events high, old and new on update", () => {
    const { objectSource, fire } = source();
    const controller = build((b) => b.for(objectSource));
    fire((h) => h.onAdd?.(object("a"), true));
    fire((h) => h.onAdd?.(object("b"), false));
    fire((h) => h.onUpdate?.(object("c"), object("d")));
    fire((h) => h.onDelete?.(object("e")));
    expect(controller.queued).toEqual([
      ["ns/a", "low"],
      ["ns/b", "high"],
      ["ns/d", "high"],
      ["ns/c", "high"],
      ["ns/e", "high"],
    ]);
  });

  it("watches with options: high first list, only the new object, only updates that matter", () => {
    const { objectSource, fire } = source();
    const controller = build((b) =>
      b.watches(objectSource, (o) => [`k/${o.metadata?.name}`], {
        initialPriority: "high",
        onUpdate: "new",
        updateMatters: (before, after) => before.metadata?.name !== after.metadata?.name,
      }),
    );
    fire((h) => h.onAdd?.(object("a"), true));
    fire((h) => h.onUpdate?.(object("same"), object("same")));
    fire((h) => h.onUpdate?.(object("old"), object("new")));
    expect(controller.queued).toEqual([
      ["k/a", "high"],
      ["k/new", "high"],
    ]);
  });

  it("old-then-new maps the old object first", () => {
    const { objectSource, fire } = source();
    const controller = build((b) =>
      b.watches(objectSource, (o) => [o.metadata?.name ?? ""], { onUpdate: "old-then-new" }),
    );
    fire((h) => h.onUpdate?.(object("old"), object("new")));
    expect(controller.queued).toEqual([
      ["old", "high"],
      ["new", "high"],
    ]);
  });

  it("a restart queues every cached object of a source with a store, unless told not to", async () => {
    const cached = source();
    const uncached = source();
    const optedOut = source();
    for (const s of [cached, uncached, optedOut]) s.store.upsert(object("x"));
    const m = manager();
    const controller = controllerFor(m, NAMES)
      .reconciler(reconciler)
      .for(cached.objectSource)
      .watches(source(false).objectSource, () => ["never"])
      .watches(optedOut.objectSource, () => ["opted-out"], { requeueOnRestart: false })
      .build((options) => new RecordingController(options));
    controller.start();
    await controller.stop();
    controller.start();
    await controller.stop();
    expect(controller.queued).toEqual([["ns/x", "low"]]);
  });

  it("watchesChanges maps each change to keys at the priority it says", () => {
    const listeners: ((change: { n: number }) => void)[] = [];
    const changes: ChangeSource<{ n: number }> = { onChange: (listener) => listeners.push(listener) };
    const controller = build((b) =>
      b.watchesChanges(
        changes,
        (change) => [`a${change.n}`, `b${change.n}`],
        (change) => (change.n > 1 ? "high" : "low"),
      ),
    );
    for (const listener of listeners) listener({ n: 1 });
    for (const listener of listeners) listener({ n: 2 });
    expect(controller.queued).toEqual([
      ["a1", "low"],
      ["b1", "low"],
      ["a2", "high"],
      ["b2", "high"],
    ]);
  });
});

describe("controllerOwnerKey", () => {
  const owned = (kind: string, controller: boolean) =>
    object("d", "team-a", {
      metadata: {
        name: "d",
        namespace: "team-a",
        ownerReferences: [{ apiVersion: "v1", kind, name: "owner", uid: "u", controller }],
      },
    });

  it("maps to the controller owner of a listed kind, in the object's namespace", () => {
    const mapper = controllerOwnerKey(["ServingRuntime", "ClusterServingRuntime"]);
    expect(mapper(owned("ClusterServingRuntime", true))).toEqual(["team-a/owner"]);
    expect(mapper(owned("ServingRuntime", false))).toEqual([]);
    expect(mapper(owned("Namespace", true))).toEqual([]);
    expect(mapper(object("bare"))).toEqual([]);
  });
});
