import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { FIELD_MANAGER } from "./apply.js";
import { Backoff } from "./backoff.js";
import { type EventHandler, Informer, type ListWatcher, stripForCache } from "./informer.js";
import { KubeApiError, type ListOptions, type WatchEvent } from "./kube-client.js";

const type = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };

function cm(name: string, resourceVersion: string, data: Record<string, string> = {}): KubernetesObject {
  return { metadata: { namespace: "ns", name, resourceVersion }, data } as KubernetesObject;
}

/** A scripted list/watch source: each list returns the next scripted page set; each watch runs the next script. */
class ScriptedSource implements ListWatcher<KubernetesObject> {
  readonly listCalls: ListOptions[] = [];
  readonly watchCalls: ListOptions[] = [];
  constructor(
    private readonly lists: KubernetesListObject<KubernetesObject>[][],
    private readonly watches: Array<(emit: (e: WatchEvent) => void, signal: AbortSignal) => Promise<void>>,
  ) {}

  async list(options: ListOptions): Promise<KubernetesListObject<KubernetesObject>> {
    this.listCalls.push(options);
    const pages = this.lists[0];
    if (pages === undefined) throw new Error("no more lists scripted");
    const page = pages.shift();
    if (pages.length === 0) this.lists.shift();
    if (page === undefined) throw new Error("empty list script");
    return page;
  }

  async watch(options: ListOptions, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    this.watchCalls.push(options);
    const script = this.watches.shift();
    if (script === undefined) {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      return;
    }
    await script(onEvent, signal);
  }
}

function page(items: KubernetesObject[], resourceVersion: string, continueToken?: string) {
  // As KubeClient.list returns it: the wire's `continue` under client-node's name `_continue`.
  return { apiVersion: "v1", kind: "List", items, metadata: { resourceVersion, _continue: continueToken } };
}

function recorder() {
  const events: string[] = [];
  const handler: EventHandler<KubernetesObject> = {
    onAdd: (o, initial) => events.push(`add ${o.metadata?.name}${initial ? " (initial)" : ""}`),
    onUpdate: (_old, o) => events.push(`update ${o.metadata?.name}`),
    onDelete: (o) => events.push(`delete ${o.metadata?.name}`),
  };
  return { events, handler };
}

const fastBackoff = () => new Backoff(1, 2, () => 0);

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe("stripForCache", () => {
  it("drops managedFields and the last-applied annotation but keeps other annotations", () => {
    const stripped = stripForCache({
      metadata: {
        name: "a",
        managedFields: [{ manager: "kubectl" }],
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}", keep: "me" },
      },
    });
    expect(stripped.metadata).toEqual({ name: "a", annotations: { keep: "me" } });
    expect(
      stripForCache({
        metadata: { name: "b", annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } },
      }).metadata,
    ).toEqual({ name: "b" });
  });

  it("keeps the controller's own apply entry, which tells whether applying again changes anything", () => {
    const own = { manager: FIELD_MANAGER, operation: "Apply", fieldsV1: { "f:data": {} } };
    const stripped = stripForCache({
      metadata: {
        name: "c",
        managedFields: [
          { manager: "kubectl", operation: "Apply" },
          { manager: FIELD_MANAGER, operation: "Update", subresource: "status" },
          own,
        ],
      },
    });
    expect(stripped.metadata).toEqual({ name: "c", managedFields: [own] });
  });
});

describe("Informer", () => {
  it("lists all pages, marks the first list as initial, then watches from the list's resourceVersion", async () => {
    const source = new ScriptedSource(
      [[page([cm("a", "1")], "10", "next"), page([cm("b", "2")], "10")]],
      [
        async (emit) => {
          emit({ type: "ADDED", object: cm("c", "11") });
          emit({ type: "MODIFIED", object: cm("a", "12") });
          emit({ type: "DELETED", object: cm("b", "13") });
          emit({ type: "BOOKMARK", object: { metadata: { resourceVersion: "20" } } });
        },
      ],
    );
    const informer = new Informer({ type, listWatcher: source, backoff: fastBackoff(), namespace: "ns" });
    const { events, handler } = recorder();
    informer.addEventHandler(handler);
    informer.start();
    expect(await informer.waitForSync(1000)).toBe(true);
    await until(() => source.watchCalls.length === 2);
    await informer.stop();
    expect(events).toEqual(["add a (initial)", "add b (initial)", "add c", "update a", "delete b"]);
    expect(source.listCalls.map((c) => c.continue)).toEqual([undefined, "next"]);
    expect(source.listCalls[0]?.namespace).toBe("ns");
    expect(source.watchCalls.map((c) => c.resourceVersion)).toEqual(["10", "20"]);
    expect(informer.store.keys().sort()).toEqual(["ns/a", "ns/c"]);
  });

  it("relists after 410 Gone and reports what changed meanwhile, deletes included", async () => {
    const source = new ScriptedSource(
      [[page([cm("a", "1"), cm("b", "2")], "10")], [page([cm("a", "1"), cm("c", "30")], "40")]],
      [
        async () => {
          throw new KubeApiError(410, "Expired", "too old resource version");
        },
      ],
    );
    const informer = new Informer({ type, listWatcher: source, backoff: fastBackoff() });
    const { events, handler } = recorder();
    informer.addEventHandler(handler);
    informer.start();
    await until(() => informer.listCount === 2 && source.watchCalls.length === 2);
    await informer.stop();
    expect(events).toEqual(["add a (initial)", "add b (initial)", "add c", "delete b"]);
    expect(source.watchCalls.map((c) => c.resourceVersion)).toEqual(["10", "40"]);
    expect(informer.store.get("ns/a")?.apiVersion).toBe("v1");
  });

  it("relists on a 410 ERROR event inside the watch stream", async () => {
    const source = new ScriptedSource(
      [[page([cm("a", "1")], "10")], [page([cm("a", "5")], "50")]],
      [
        async (emit) => {
          emit({ type: "ERROR", object: { code: 410, message: "too old" } });
        },
      ],
    );
    const informer = new Informer({ type, listWatcher: source, backoff: fastBackoff() });
    const { events, handler } = recorder();
    informer.addEventHandler(handler);
    informer.start();
    await until(() => informer.listCount === 2);
    await informer.stop();
    expect(events).toEqual(["add a (initial)", "update a"]);
  });

  it("resumes a broken watch from the last resourceVersion without relisting", async () => {
    const source = new ScriptedSource(
      [[page([], "10")]],
      [
        async (emit) => {
          emit({ type: "ADDED", object: cm("a", "11") });
          throw new Error("socket hang up");
        },
        async () => {
          throw new Error("connect ECONNREFUSED");
        },
      ],
    );
    const informer = new Informer({ type, listWatcher: source, backoff: fastBackoff() });
    informer.start();
    await until(() => source.watchCalls.length === 3);
    await informer.stop();
    expect(informer.listCount).toBe(1);
    expect(source.watchCalls.map((c) => c.resourceVersion)).toEqual(["10", "11", "11"]);
  });

  it("retries a failing list with backoff and reports sync only when it succeeds", async () => {
    let failures = 2;
    const source = new ScriptedSource([[page([cm("a", "1")], "10")]], []);
    const flaky: ListWatcher<KubernetesObject> = {
      list: (options) => (failures-- > 0 ? Promise.reject(new Error("ECONNREFUSED")) : source.list(options)),
      watch: (options, onEvent, signal) => source.watch(options, onEvent, signal),
    };
    const informer = new Informer({ type, listWatcher: flaky, backoff: fastBackoff() });
    informer.start();
    expect(informer.hasSynced()).toBe(false);
    expect(await informer.waitForSync(2000)).toBe(true);
    expect(informer.store.size).toBe(1);
    await informer.stop();
  });

  it("times out waiting for sync when the server never answers", async () => {
    const never: ListWatcher<KubernetesObject> = {
      list: () => new Promise(() => {}),
      watch: () => new Promise(() => {}),
    };
    const informer = new Informer({ type, listWatcher: never });
    informer.start();
    expect(await informer.waitForSync(20)).toBe(false);
  });

  it("replays the cache to a late handler and survives a throwing handler", async () => {
    const source = new ScriptedSource(
      [[page([cm("a", "1")], "10")]],
      [
        async (emit) => {
          emit({ type: "ADDED", object: cm("b", "11") });
        },
      ],
    );
    const informer = new Informer({ type, listWatcher: source, backoff: fastBackoff() });
    informer.addEventHandler({
      onAdd: () => {
        throw new Error("handler bug");
      },
    });
    informer.start();
    await until(() => informer.store.size === 2);
    const { events, handler } = recorder();
    informer.addEventHandler(handler);
    await informer.stop();
    expect(events.sort()).toEqual(["add a (initial)", "add b (initial)"]);
  });
});
