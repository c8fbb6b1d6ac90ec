import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { byNamespace, NAMESPACE_INDEX, objectKey, Store, splitKey } from "./store.js";

interface Model extends KubernetesObject {
  spec: { runtime: string };
}

function model(namespace: string, name: string, runtime: string): Model {
  return { apiVersion: "v1", kind: "Model", metadata: { namespace, name }, spec: { runtime } };
}

function newStore() {
  return new Store<Model>({ [NAMESPACE_INDEX]: byNamespace, runtime: (m) => [m.spec.runtime] });
}

describe("objectKey and splitKey", () => {
  it("round-trip namespaced and cluster-scoped keys", () => {
    expect(objectKey(model("ns", "a", "r"))).toBe("ns/a");
    expect(objectKey({ metadata: { name: "cluster-wide" } })).toBe("cluster-wide");
    expect(splitKey("ns/a")).toEqual({ namespace: "ns", name: "a" });
    expect(splitKey("cluster-wide")).toEqual({ namespace: "", name: "cluster-wide" });
  });
});

describe("Store", () => {
  it("finds objects by key and by index", () => {
    const store = newStore();
    store.upsert(model("ns1", "a", "triton"));
    store.upsert(model("ns1", "b", "mlserver"));
    store.upsert(model("ns2", "c", "triton"));
    expect(store.get("ns1/a")?.spec.runtime).toBe("triton");
    expect(store.getByName("c", "ns2")?.metadata?.name).toBe("c");
    expect(store.byIndex("runtime", "triton").map(objectKey).sort()).toEqual(["ns1/a", "ns2/c"]);
    expect(store.byIndex(NAMESPACE_INDEX, "ns1").map(objectKey).sort()).toEqual(["ns1/a", "ns1/b"]);
    expect(store.byIndex("runtime", "unknown")).toEqual([]);
    expect(store.size).toBe(3);
  });

  it("moves an updated object between index values", () => {
    const store = newStore();
    store.upsert(model("ns", "a", "triton"));
    const old = store.upsert(model("ns", "a", "mlserver"));
    expect(old?.spec.runtime).toBe("triton");
    expect(store.byIndex("runtime", "triton")).toEqual([]);
    expect(store.byIndex("runtime", "mlserver").map(objectKey)).toEqual(["ns/a"]);
  });

  it("drops removed objects from every index", () => {
    const store = newStore();
    store.upsert(model("ns", "a", "triton"));
    expect(store.remove("ns/a")?.metadata?.name).toBe("a");
    expect(store.remove("ns/a")).toBeUndefined();
    expect(store.byIndex("runtime", "triton")).toEqual([]);
    expect(store.byIndex(NAMESPACE_INDEX, "ns")).toEqual([]);
    expect(store.keys()).toEqual([]);
  });

  it("rejects a query on an undeclared index", () => {
    expect(() => newStore().byIndex("owner", "x")).toThrow(/no indexer named "owner"/);
  });

  it("indexes an object under several values", () => {
    const store = new Store<KubernetesObject>({
      labels: (o) => Object.entries(o.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`),
    });
    store.upsert({ metadata: { name: "x", labels: { a: "1", b: "2" } } });
    expect(store.byIndex("labels", "a=1").length).toBe(1);
    expect(store.byIndex("labels", "b=2").length).toBe(1);
  });
});

describe("Store.addIndexer", () => {
  it("indexes the objects already stored and keeps the index in step afterwards", () => {
    const store = new Store<KubernetesObject>();
    const object = (name: string, team: string): KubernetesObject => ({
      metadata: { name, namespace: "ns", labels: { team } },
    });
    store.upsert(object("a", "red"));
    store.upsert(object("b", "blue"));
    store.addIndexer("team", (o) => [o.metadata?.labels?.team ?? ""]);
    expect(store.byIndex("team", "red").map((o) => o.metadata?.name)).toEqual(["a"]);
    store.upsert(object("c", "red"));
    store.upsert(object("a", "blue"));
    expect(store.byIndex("team", "red").map((o) => o.metadata?.name)).toEqual(["c"]);
    expect(() => store.addIndexer("team", () => [])).toThrow(/already exists/);
  });
});
