import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { KubernetesObject, V1Lease } from "@kubernetes/client-node";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { CONFIG_MAPS, LEASES, NAMESPACES } from "../../src/apis/resource-types.js";
import { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../src/controller-runtime/metrics.js";
import { forEachBounded } from "../support/async/bounded-parallelism.js";
import { eventually } from "../support/async/eventually.js";
import { configMap, RECONCILED_BY } from "../support/controller-runtime/support.js";
import { createNamespace } from "../support/kube/namespaces.js";

const FIXTURE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../support/controller-runtime/manager-process.ts",
);

interface ManagerEvent {
  type: "synced" | "leading" | "start" | "end";
  key?: string;
  at: number;
}

/** A manager child process and the events it reported so far. */
class ManagerProcess {
  readonly events: ManagerEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  #output = "";

  constructor(env: Record<string, string>) {
    this.#child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let pending = "";
    this.#child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.startsWith("EVENT ")) this.events.push(JSON.parse(line.slice(6)) as ManagerEvent);
        else this.#output += `${line}\n`;
      }
    });
    this.#child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#output += chunk;
    });
    // "close", not "exit": only then has all of the child's output been read.
    this.exited = new Promise((resolve) =>
      this.#child.once("close", (code, signal) => resolve({ code, signal })),
    );
  }

  has(type: ManagerEvent["type"]): boolean {
    return this.events.some((event) => event.type === type);
  }

  of(type: ManagerEvent["type"]): ManagerEvent[] {
    return this.events.filter((event) => event.type === type);
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }
}

const kubeConfig = new KubeConfig();
let client: KubeClient;
let namespace: string;
const children: ManagerProcess[] = [];

function startManager(identity: string, extra: Record<string, string> = {}): ManagerProcess {
  const child = new ManagerProcess({
    KUBECONFIG_PATH: inject("kubeconfigPath"),
    NAMESPACE: namespace,
    IDENTITY: identity,
    LEASE_NAME: "runtime-test-lock",
    ...extra,
  });
  children.push(child);
  return child;
}

async function stamps(names: readonly string[]): Promise<(string | undefined)[]> {
  return Promise.all(
    names.map(
      async (name) =>
        (await client.get<KubernetesObject>(CONFIG_MAPS, name, namespace))?.metadata?.annotations?.[
          RECONCILED_BY
        ],
    ),
  );
}

function createConfigMaps(names: readonly string[]) {
  return forEachBounded(names, 8, (name) =>
    client.create(CONFIG_MAPS, configMap(namespace, name, { a: "1" }, { "runtime-test": "manager" })),
  );
}

beforeAll(() => {
  kubeConfig.loadFromFile(inject("kubeconfigPath"));
  client = new KubeClient(kubeConfig, createMetricsRegistry().metrics);
});

beforeEach(async () => {
  namespace = await createNamespace(client, "runtime-manager");
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.running) child.kill("SIGKILL");
    await child.exited;
  }
  await client.delete(NAMESPACES, namespace);
});

describe("manager processes", () => {
  it("hands the Lease over within 20 s when the leader is SIGKILLed, and work continues", async () => {
    const first = startManager("manager-a");
    await eventually(() => first.has("leading"), "the first manager to lead", 60_000);
    const second = startManager("manager-b");
    await eventually(() => second.has("synced"), "the second manager's caches to sync", 60_000);

    const before = Array.from({ length: 20 }, (_, i) => `before-${i}`);
    await createConfigMaps(before);
    await eventually(
      async () => (await stamps(before)).every((stamp) => stamp === "manager-a"),
      "the leader to reconcile every ConfigMap",
      30_000,
    );
    expect(second.has("leading")).toBe(false);
    expect(second.of("start")).toEqual([]);

    const killedAt = Date.now();
    first.kill("SIGKILL");
    await first.exited;
    const after = Array.from({ length: 20 }, (_, i) => `after-${i}`);
    await createConfigMaps(after);

    await eventually(() => second.has("leading"), "the second manager to take over", 25_000);
    const handover = (second.of("leading")[0]?.at ?? Number.POSITIVE_INFINITY) - killedAt;
    expect(handover).toBeLessThan(20_000);
    await eventually(
      async () => (await stamps(after)).every((stamp) => stamp === "manager-b"),
      "the new leader to reconcile the ConfigMaps created meanwhile",
      30_000,
    );
    const lease = await client.get<V1Lease>(LEASES, "runtime-test-lock", namespace);
    expect(lease?.spec?.holderIdentity).toBe("manager-b");
    expect(lease?.spec?.leaseTransitions).toBe(1);
    expect(lease?.spec?.leaseDurationSeconds).toBe(15);
  }, 180_000);

  it("on SIGTERM finishes reconciles in flight, starts no new ones, releases the Lease and exits 0", async () => {
    const manager = startManager("manager-c", { RECONCILE_MS: "3000", WORKERS: "4" });
    await eventually(() => manager.has("leading"), "the manager to lead", 60_000);
    const names = ["one", "two", "three", "four"];
    await createConfigMaps(names);
    await eventually(() => manager.of("start").length === 4, "four reconciles in flight", 30_000);

    const signalledAt = Date.now();
    manager.kill("SIGTERM");
    await createConfigMaps(["late"]);
    const exit = await manager.exited;

    const story = `events: ${JSON.stringify(manager.events)}\nSIGTERM at ${signalledAt}\noutput: ${manager.output}`;
    expect(exit.code, story).toBe(0);
    const ends = manager.of("end");
    expect(ends.map((event) => event.key).sort(), story).toEqual(
      names.map((name) => `${namespace}/${name}`).sort(),
    );
    for (const end of ends) expect(end.at, story).toBeGreaterThanOrEqual(signalledAt);
    // The four starts were seen before the signal was sent; anything more (the "late" ConfigMap) is new work.
    expect(
      manager
        .of("start")
        .map((event) => event.key)
        .sort(),
      story,
    ).toEqual(names.map((name) => `${namespace}/${name}`).sort());
    expect(await stamps(names)).toEqual(names.map(() => "manager-c"));
    const lease = await client.get<V1Lease>(LEASES, "runtime-test-lock", namespace);
    expect(lease?.spec?.holderIdentity).toBe("");
  }, 120_000);
});
