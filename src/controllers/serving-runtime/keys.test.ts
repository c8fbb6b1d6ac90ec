import { describe, expect, it } from "vitest";
import type { EffectiveRuntime } from "../../builders/effective-runtimes.js";
import { runtimeKeys } from "./keys.js";

const runtime = (kind: EffectiveRuntime["kind"], name: string, multiModel = true): EffectiveRuntime => ({
  kind,
  object: {
    metadata: { name },
    spec: {
      multiModel,
      containers: [],
      supportedModelFormats: [{ name: name.split("-")[0] ?? "", autoSelect: true }],
    },
  },
});

/** Namespace a has its own sklearn runtimes and sees the cluster's xgboost one; b sees only the cluster's. */
const OF_NAMESPACE: Record<string, EffectiveRuntime[]> = {
  a: [
    runtime("ClusterServingRuntime", "xgboost-rt"),
    runtime("ServingRuntime", "sklearn-rt"),
    runtime("ServingRuntime", "sklearn-single", false),
  ],
  b: [runtime("ClusterServingRuntime", "xgboost-rt")],
};
const caches = {
  ofNamespace: (namespace: string) =>
    new Map((OF_NAMESPACE[namespace] ?? []).map((r) => [r.object.metadata?.name ?? "", r])),
  clusterRuntimeNames: () => ["xgboost-rt", "single-model-cluster-rt"],
};
const keys = runtimeKeys(
  caches,
  () => ["a", "b"],
  () => false,
);

describe("the runtime keys an event concerns", () => {
  it("a namespace: its runtimes and every ClusterServingRuntime, multi-model or not", () => {
    expect(keys.ofNamespace("a").sort()).toEqual([
      "a/single-model-cluster-rt",
      "a/sklearn-rt",
      "a/sklearn-single",
      "a/xgboost-rt",
    ]);
  });

  it("a demand: the namespace's multi-model runtimes that serve it", () => {
    expect(keys.serving("a", { typeLabel: "mt:sklearn", pvcClaim: undefined })).toEqual(["a/sklearn-rt"]);
    expect(keys.serving("b", { typeLabel: "mt:sklearn", pvcClaim: undefined })).toEqual([]);
    expect(keys.serving("a", { typeLabel: undefined, pvcClaim: undefined }).sort()).toEqual([
      "a/sklearn-rt",
      "a/xgboost-rt",
    ]);
    expect(keys.serving("", { typeLabel: "mt:sklearn", pvcClaim: undefined })).toEqual([]);
    expect(keys.serving("a", undefined)).toEqual([]);
  });

  it("all: every runtime of every served namespace", () => {
    expect(keys.all()).toEqual([...keys.ofNamespace("a"), ...keys.ofNamespace("b")]);
  });
});
