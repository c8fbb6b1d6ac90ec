import type { KubernetesObject, V1ManagedFieldsEntry } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { FIELD_MANAGER } from "./apply.js";
import { applyChange, missingValue, uncoveredField } from "./apply-change.js";

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

describe("applyChange", () => {
  const desired = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1" } };
  const own = { manager: FIELD_MANAGER, operation: "Apply", fieldsV1: { "f:data": { "f:a": {} } } };
  const live = (data: Record<string, string>, managedFields?: V1ManagedFieldsEntry[]): KubernetesObject =>
    ({ metadata: { name: "c", managedFields }, data }) as KubernetesObject;

  it("is undefined only when the controller's apply is live and would set nothing new", () => {
    expect(applyChange(desired, live({ a: "1" }, [own]))).toBeUndefined();
  });

  it("says why an apply is needed", () => {
    expect(applyChange(desired, undefined)).toBe("absent");
    expect(applyChange(desired, live({ a: "1" }))).toBe("not applied by the controller yet");
    expect(applyChange(desired, live({ a: "2" }, [own]))).toBe("differs at .data.a");
    const ownsMore = { ...own, fieldsV1: { "f:data": { "f:a": {}, "f:b": {} } } };
    expect(applyChange(desired, live({ a: "1", b: "2" }, [ownsMore]))).toBe("would remove /f:data/f:b");
  });
});
