import type { KubernetesObject, V1ManagedFieldsEntry } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { CONFIG_MAPS } from "../apis/resource-types.js";
import { FIELD_MANAGER } from "./apply.js";
import { applyIfChanged, missingValue, uncoveredField, whatApplyWouldChange } from "./apply-change.js";
import type { KubeClient } from "./kube-client.js";

describe("missingValue", () => {
  it("ignores what only the live object has, and empty lists and maps the API server dropped", () => {
    expect(
      missingValue({ a: 1, defaulted: "x", list: [{ k: 1, d: 2 }] }, { a: 1, list: [{ k: 1 }] }),
    ).toBeUndefined();
    expect(missingValue({ a: 1 }, { a: 1, env: [], labels: {} })).toBeUndefined();
  });

  it("names the first path whose value differs or is missing", () => {
    expect(missingValue({ spec: { replicas: 2 } }, { spec: { replicas: 3 } })).toBe(".spec.replicas");
    expect(missingValue({ list: [1, 2] }, { list: [1] })).toBe(".list");
    expect(missingValue({ list: [{ a: 1 }] }, { list: [{ a: 2 }] })).toBe(".list[0].a");
    expect(missingValue({}, { added: "yes" })).toBe(".added");
    expect(missingValue({ port: "8080" }, { port: 8080 })).toBe(".port");
  });
});

describe("uncoveredField", () => {
  const rendered = {
    metadata: { labels: { app: "x" } },
    spec: {
      containers: [{ name: "mm", ports: [{ containerPort: 8033, protocol: "TCP" }] }],
      finalizers: ["a"],
      args: ["--x"],
    },
  };

  it("finds fields, list entries by key, set members and indexes", () => {
    const fields = {
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
      "f:spec": {
        "f:containers": {
          'k:{"name":"mm"}': { ".": {}, "f:ports": { 'k:{"containerPort":8033,"protocol":"TCP"}': {} } },
        },
        "f:finalizers": { 'v:"a"': {} },
        "f:args": { "i:0": {} },
      },
    };
    expect(uncoveredField(fields, rendered)).toBeUndefined();
  });

  it("names the first owned path the rendering lacks", () => {
    expect(uncoveredField({ "f:metadata": { "f:labels": { "f:gone": {} } } }, rendered)).toBe(
      "/f:metadata/f:labels/f:gone",
    );
    expect(uncoveredField({ "f:spec": { "f:containers": { 'k:{"name":"puller"}': {} } } }, rendered)).toBe(
      '/f:spec/f:containers/k:{"name":"puller"}',
    );
    expect(uncoveredField({ "f:spec": { "f:finalizers": { 'v:"b"': {} } } }, rendered)).toBeDefined();
    expect(uncoveredField({ "f:spec": { "f:args": { "i:1": {} } } }, rendered)).toBeDefined();
  });

  it("counts a path it cannot read as uncovered", () => {
    expect(uncoveredField({ "f:spec": { "f:containers": { "k:{not json": {} } } }, rendered)).toBeDefined();
    expect(uncoveredField({ "x:unknown": {} }, rendered)).toBeDefined();
  });
});

describe("whatApplyWouldChange", () => {
  const desired = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1" } };
  const own = { manager: FIELD_MANAGER, operation: "Apply", fieldsV1: { "f:data": { "f:a": {} } } };
  const live = (data: Record<string, string>, managedFields?: V1ManagedFieldsEntry[]): KubernetesObject =>
    ({ metadata: { name: "c", managedFields }, data }) as KubernetesObject;

  it("is undefined only when the controller's apply is live and would set nothing new", () => {
    expect(whatApplyWouldChange(desired, live({ a: "1" }, [own]))).toBeUndefined();
  });

  it("says why an apply is needed", () => {
    expect(whatApplyWouldChange(desired, undefined)).toBe("absent");
    expect(whatApplyWouldChange(desired, live({ a: "1" }))).toBe("not applied by the controller yet");
    expect(whatApplyWouldChange(desired, live({ a: "2" }, [own]))).toBe("differs at .data.a");
    const ownsMore = { ...own, fieldsV1: { "f:data": { "f:a": {}, "f:b": {} } } };
    expect(whatApplyWouldChange(desired, live({ a: "1", b: "2" }, [ownsMore]))).toBe(
      "would remove /f:data/f:b",
    );
  });
});

describe("applyIfChanged", () => {
  const desired: KubernetesObject & { data: Record<string, string> } = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c" },
    data: { a: "1" },
  };
  const own = { manager: FIELD_MANAGER, operation: "Apply", fieldsV1: { "f:data": { "f:a": {} } } };
  const cached = (data: Record<string, string>) => ({
    ...desired,
    metadata: { name: "c", managedFields: [own] },
    data,
  });

  /** Records the applies it is asked for and answers with the object sent. */
  function recordingClient() {
    const applied: unknown[] = [];
    const client = {
      apply: async (_type: unknown, object: unknown, options: unknown) => {
        applied.push({ object, options });
        return object;
      },
    } as unknown as KubeClient;
    return { client, applied };
  }

  it("sends nothing and returns the live object when the apply would change nothing", async () => {
    const { client, applied } = recordingClient();
    const live = cached({ a: "1" });
    const heard: string[] = [];
    const result = await applyIfChanged(client, CONFIG_MAPS, desired, live, (change) => heard.push(change));
    expect(result).toEqual({ object: live, change: undefined });
    expect(applied).toEqual([]);
    expect(heard).toEqual([]);
  });

  it("applies under the controller's field manager, forced, saying why first", async () => {
    const { client, applied } = recordingClient();
    const heard: string[] = [];
    const result = await applyIfChanged(client, CONFIG_MAPS, desired, cached({ a: "2" }), (change) =>
      heard.push(change),
    );
    expect(result.change).toBe("differs at .data.a");
    expect(heard).toEqual(["differs at .data.a"]);
    expect(applied).toEqual([{ object: desired, options: { fieldManager: FIELD_MANAGER, force: true } }]);
    const absent = await applyIfChanged(client, CONFIG_MAPS, desired, undefined);
    expect(absent).toEqual({ object: desired, change: "absent" });
  });
});
