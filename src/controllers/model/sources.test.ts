import { describe, expect, it } from "vitest";
import type { PredictorSpec } from "../../apis/serving/v1alpha1/predictor.js";
import { INFERENCE_SERVICE_MODEL_SOURCE, modelKey, parseModelKey, specProblem } from "./sources.js";

describe("model keys", () => {
  it.each([
    ["ksp", "ns", "iris", "ns/iris"],
    ["isvc", "ns", "iris", "isvc_ns/iris"],
  ])("%s %s/%s is %s and back", (source, namespace, name, key) => {
    expect(modelKey(source, namespace, name)).toBe(key);
    expect(parseModelKey(key)).toEqual({ source, namespace, name });
  });
});

describe("specProblem (upstream's validatePredictor)", () => {
  const base: PredictorSpec = { modelType: { name: "sklearn" } };
  it.each([
    [
      { ...base, path: "a", storage: { path: "b" } },
      "Only one of spec.path and spec.storage.path can be specified",
    ],
    [
      { ...base, schemaPath: "a", storage: { schemaPath: "b" } },
      "Only one of spec.schemaPath and spec.storage.schemaPath can be specified",
    ],
    [
      { ...base, storage: { persistentVolumeClaim: { claimName: "c" } } },
      "spec.storage.PersistentVolumeClaim is not supported",
    ],
    [
      { ...base, storage: { s3: { secretKey: "k" }, key: "x" } },
      "spec.storage.s3 cannot be specified with any other keys in spec.storage",
    ],
    [{ ...base, path: "a", storage: { s3: { secretKey: "k" } } }, undefined],
    [{ ...base, path: "a" }, undefined],
  ] as const)("%o → %s", (spec, problem) => {
    expect(specProblem(spec as PredictorSpec)).toBe(problem);
  });
});

describe("InferenceService source", () => {
  /** A ModelMesh InferenceService `ns/x` with this sklearn predictor. */
  const modelMeshIsvc = (sklearn: Record<string, unknown>) => ({
    metadata: {
      name: "x",
      namespace: "ns",
      annotations: { "serving.kserve.io/deploymentMode": "ModelMesh" },
    },
    spec: { predictor: { sklearn } },
  });

  it("only ModelMesh InferenceServices are managed; conversion errors are the spec problem", () => {
    const isvc = modelMeshIsvc({});
    expect(INFERENCE_SERVICE_MODEL_SOURCE.view(isvc)).toMatchObject({
      managed: true,
      spec: {
        ok: false,
        error: "the InferenceService ns/x must have either the storageUri or the storage.path",
      },
    });
    expect(
      INFERENCE_SERVICE_MODEL_SOURCE.view({ ...isvc, metadata: { name: "x", namespace: "ns" } }).managed,
    ).toBe(false);
  });

  it("views an object once, and a new version of it afresh", () => {
    const isvc = modelMeshIsvc({ storageUri: "s3://b/x" });
    const first = INFERENCE_SERVICE_MODEL_SOURCE.view(isvc);
    expect(INFERENCE_SERVICE_MODEL_SOURCE.view(isvc)).toBe(first);
    const second = INFERENCE_SERVICE_MODEL_SOURCE.view(modelMeshIsvc({ storageUri: "s3://b/y" }));
    expect(second).not.toBe(first);
    expect(second.spec.ok && second.spec.value.storage?.path).toBe("y");
  });
});
