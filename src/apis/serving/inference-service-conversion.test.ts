import { describe, expect, it } from "vitest";
import { convertInferenceService, isModelMeshInferenceService } from "./inference-service-conversion.js";
import type { InferenceService } from "./v1beta1/inference-service.js";

const MODEL_MESH = { "serving.kserve.io/deploymentMode": "ModelMesh" };

function isvc(
  predictor: Record<string, unknown>,
  annotations: Record<string, string> = {},
): InferenceService {
  return {
    apiVersion: "serving.kserve.io/v1beta1",
    kind: "InferenceService",
    metadata: { name: "my-model", namespace: "models", annotations: { ...MODEL_MESH, ...annotations } },
    spec: { predictor },
  } as InferenceService;
}

const s3Model = (extra: Record<string, unknown> = {}) => ({
  model: { modelFormat: { name: "sklearn" }, storageUri: "s3://bucket/dir/model.joblib", ...extra },
});

describe("convertInferenceService: new form (spec.predictor.model)", () => {
  it.each([
    {
      title: "reference example 2: sklearn from s3, key from annotation, grpc-v2",
      input: isvc(
        {
          model: {
            modelFormat: { name: "sklearn" },
            protocolVersion: "grpc-v2",
            storageUri: "s3://modelmesh-example-models/sklearn/mnist-svm.joblib",
          },
        },
        { "serving.kserve.io/secretKey": "localMinIO" },
      ),
      spec: {
        modelType: { name: "sklearn" },
        path: "",
        storage: {
          path: "sklearn/mnist-svm.joblib",
          parameters: { type: "s3", bucket: "modelmesh-example-models" },
          key: "localMinIO",
        },
        protocolVersion: "grpc-v2",
      },
    },
    {
      title: "format version and explicit runtime",
      input: isvc(s3Model({ modelFormat: { name: "onnx", version: "1" }, runtime: "triton-2.x" })),
      spec: {
        modelType: { name: "onnx", version: "1" },
        path: "",
        storage: { path: "dir/model.joblib", parameters: { type: "s3", bucket: "bucket" } },
        runtime: { name: "triton-2.x" },
      },
    },
    {
      title: "empty protocolVersion is left out",
      input: isvc(s3Model({ protocolVersion: "" })),
      spec: {
        modelType: { name: "sklearn" },
        path: "",
        storage: { path: "dir/model.joblib", parameters: { type: "s3", bucket: "bucket" } },
      },
    },
    {
      title: "no modelFormat: the empty name of upstream's Go zero value, placed by the named runtime",
      input: isvc({ model: { runtime: "triton-2.x", storageUri: "s3://bucket/dir/model.joblib" } }),
      spec: {
        modelType: { name: "" },
        path: "",
        storage: { path: "dir/model.joblib", parameters: { type: "s3", bucket: "bucket" } },
        runtime: { name: "triton-2.x" },
      },
    },
    {
      title: "huggingface next to the model spec is not a ModelMesh framework, so it is not a conflict",
      input: isvc({ ...s3Model(), huggingface: { storageUri: "s3://x/y" } }),
      spec: {
        modelType: { name: "sklearn" },
        path: "",
        storage: { path: "dir/model.joblib", parameters: { type: "s3", bucket: "bucket" } },
      },
    },
  ])("$title", ({ input, spec }) => {
    expect(convertInferenceService(input)).toStrictEqual({ ok: true, value: spec });
  });

  it.each([
    {
      title: "model spec together with a framework spec",
      input: isvc({ ...s3Model(), sklearn: {}, xgboost: {} }),
      error: "the InferenceService my-model cannot have both the model spec and a framework spec (xgboost)",
    },
    {
      title: "model spec together with the runtime annotation",
      input: isvc(s3Model(), { "serving.kserve.io/servingRuntime": "mlserver-1.x" }),
      error:
        "the InferenceService my-model cannot have both the model spec and the runtime annotation serving.kserve.io/servingRuntime",
    },
  ])("refuses $title", ({ input, error }) => {
    expect(convertInferenceService(input)).toStrictEqual({ ok: false, error });
  });
});

describe("convertInferenceService: old form (framework fields)", () => {
  const storage = { path: "p", parameters: { type: "s3", bucket: "b" } };
  it.each(["xgboost", "lightgbm", "sklearn", "tensorflow", "onnx", "pytorch", "triton", "pmml"])(
    "%s becomes the model type",
    (framework) => {
      expect(convertInferenceService(isvc({ [framework]: { storageUri: "s3://b/p" } }))).toStrictEqual({
        ok: true,
        value: { modelType: { name: framework }, path: "", storage },
      });
    },
  );

  it.each([
    [["sklearn", "xgboost"], "xgboost"],
    [["sklearn", "lightgbm"], "lightgbm"],
    [["tensorflow", "sklearn"], "sklearn"],
    [["onnx", "tensorflow"], "tensorflow"],
    [["pytorch", "onnx"], "onnx"],
    [["triton", "pytorch"], "pytorch"],
    [["pmml", "triton"], "triton"],
  ])("precedence: %j gives %s", (frameworks, winner) => {
    const predictor = Object.fromEntries(frameworks.map((f) => [f, { storageUri: "s3://b/p" }]));
    const result = convertInferenceService(isvc(predictor));
    expect(result.ok && result.value.modelType).toStrictEqual({ name: winner });
  });

  it("takes the runtime from the annotation and the protocol from the framework spec", () => {
    const result = convertInferenceService(
      isvc(
        { tensorflow: { storageUri: "s3://b/p", protocolVersion: "grpc-v1" } },
        {
          "serving.kserve.io/servingRuntime": "my-runtime",
        },
      ),
    );
    expect(result).toStrictEqual({
      ok: true,
      value: {
        modelType: { name: "tensorflow" },
        path: "",
        storage,
        runtime: { name: "my-runtime" },
        protocolVersion: "grpc-v1",
      },
    });
  });

  it.each([
    { title: "no framework at all", predictor: {} },
    { title: "only huggingface", predictor: { huggingface: { storageUri: "s3://b/p" } } },
    { title: "only paddle", predictor: { paddle: { storageUri: "s3://b/p" } } },
  ])("refuses $title", ({ predictor }) => {
    expect(convertInferenceService(isvc(predictor))).toStrictEqual({
      ok: false,
      error: "no valid InferenceService predictor framework found",
    });
  });
});

describe("convertInferenceService: storage", () => {
  const storageOf = (model: Record<string, unknown>, annotations: Record<string, string> = {}) => {
    const result = convertInferenceService(
      isvc({ model: { modelFormat: { name: "m" }, ...model } }, annotations),
    );
    return result.ok ? result.value.storage : result.error;
  };

  it.each([
    {
      uri: "s3://bucket/a%20b/model.bin",
      storage: { path: "a b/model.bin", parameters: { type: "s3", bucket: "bucket" } },
    },
    {
      uri: "gs://gbucket/m/saved",
      storage: { path: "m/saved", parameters: { type: "gcs", bucket: "gbucket" } },
    },
    {
      uri: "pvc://my-claim/models/x.onnx",
      storage: { path: "models/x.onnx", parameters: { type: "pvc", name: "my-claim" } },
    },
    {
      uri: "https://acct.blob.core.windows.net/container/dir/model.onnx",
      storage: {
        path: "dir/model.onnx",
        parameters: { type: "azure", account_name: "acct", container: "container" },
      },
    },
    {
      uri: "http://acct.blob.core.windows.net/container",
      storage: { path: "", parameters: { type: "azure", account_name: "acct", container: "container" } },
    },
    {
      uri: "https://github.com/kserve/modelmesh-minio-examples/blob/main/sklearn/mnist-svm.joblib?raw=true",
      storage: {
        path: "kserve/modelmesh-minio-examples/blob/main/sklearn/mnist-svm.joblib",
        parameters: { type: "http", url: "https://github.com?raw=true" },
      },
    },
    {
      uri: "http://models.local:8080/a/b.bin",
      storage: { path: "a/b.bin", parameters: { type: "http", url: "http://models.local:8080" } },
    },
    { uri: "S3://Bucket/Key", storage: { path: "Key", parameters: { type: "s3", bucket: "Bucket" } } },
  ])("storageUri $uri", ({ uri, storage }) => {
    expect(storageOf({ storageUri: uri })).toStrictEqual(storage);
  });

  it("storage.path with schemaPath, key and parameters", () => {
    expect(
      storageOf({
        storage: {
          path: "m/p",
          schemaPath: "m/schema.json",
          key: "myKey",
          parameters: { type: "s3", bucket: "b" },
        },
      }),
    ).toStrictEqual({
      path: "m/p",
      schemaPath: "m/schema.json",
      parameters: { type: "s3", bucket: "b" },
      key: "myKey",
    });
  });

  it("storage.path alone gives empty parameters", () => {
    expect(storageOf({ storage: { path: "m/p" } })).toStrictEqual({ path: "m/p", parameters: {} });
  });

  it("URI parameters win over storage.parameters", () => {
    expect(
      storageOf({
        storageUri: "s3://from-uri/p",
        storage: { parameters: { bucket: "other", region: "eu" } },
      }),
    ).toStrictEqual({ path: "p", parameters: { bucket: "from-uri", region: "eu", type: "s3" } });
  });

  it("falls back to the secretKey and schemaPath annotations", () => {
    expect(
      storageOf(
        { storageUri: "s3://b/p" },
        { "serving.kserve.io/secretKey": "annKey", "serving.kserve.io/schemaPath": "ann/schema.json" },
      ),
    ).toStrictEqual({
      path: "p",
      schemaPath: "ann/schema.json",
      parameters: { type: "s3", bucket: "b" },
      key: "annKey",
    });
  });

  it("storage.key and storage.schemaPath win over the annotations", () => {
    expect(
      storageOf(
        { storageUri: "s3://b/p", storage: { key: "specKey", schemaPath: "spec/schema" } },
        { "serving.kserve.io/secretKey": "annKey", "serving.kserve.io/schemaPath": "ann/schema.json" },
      ),
    ).toStrictEqual({
      path: "p",
      schemaPath: "spec/schema",
      parameters: { type: "s3", bucket: "b" },
      key: "specKey",
    });
  });

  it.each([
    {
      model: {},
      error: "the InferenceService models/my-model must have either the storageUri or the storage.path",
    },
    {
      model: { storage: { key: "k" } },
      error: "the InferenceService models/my-model must have either the storageUri or the storage.path",
    },
    {
      model: { storageUri: "s3://b/p", storage: { path: "p" } },
      error: "the InferenceService models/my-model cannot have both the storageUri and the storage.path",
    },
    {
      model: { storageUri: "ftp://host/p" },
      error: "the InferenceService models/my-model has an unsupported storageUri scheme ftp",
    },
    {
      model: { storageUri: "bucket/path" },
      error: "the InferenceService models/my-model has an unsupported storageUri scheme ",
    },
    {
      model: { storageUri: "s3://bucket/%zz" },
      error:
        'could not parse storageUri in InferenceService models/my-model: parse "s3://bucket/%zz": invalid URL escape "%zz"',
    },
    {
      model: { storageUri: "http://host:port/x" },
      error:
        'could not parse storageUri in InferenceService models/my-model: parse "http://host:port/x": invalid port ":port" after host',
    },
    {
      model: { storageUri: "://nothing" },
      error:
        'could not parse storageUri in InferenceService models/my-model: parse "://nothing": missing protocol scheme',
    },
  ])("refuses: $error", ({ model, error }) => {
    expect(storageOf(model)).toBe(error);
  });
});

describe("convertInferenceService: malformed objects", () => {
  it("reports a predictor that does not match the schema instead of throwing", () => {
    const result = convertInferenceService(isvc({ model: { modelFormat: "sklearn" } }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(
      /^the InferenceService models\/my-model has an invalid spec\.predictor: /,
    );
  });

  it("handles a missing spec", () => {
    const result = convertInferenceService({ metadata: { name: "x" } } as InferenceService);
    expect(result.ok).toBe(false);
  });
});

describe("isModelMeshInferenceService", () => {
  it.each([
    [{ "serving.kserve.io/deploymentMode": "ModelMesh" }, true],
    [{ "serving.kserve.io/deploymentMode": "modelmesh" }, false],
    [{ "serving.kserve.io/deploymentMode": "Serverless" }, false],
    [{}, false],
  ])("%j ⇒ %s", (annotations, expected) => {
    const object = { metadata: { name: "n", annotations }, spec: { predictor: {} } } as InferenceService;
    expect(isModelMeshInferenceService(object)).toBe(expected);
  });
});
