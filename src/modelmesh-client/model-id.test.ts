import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { goJsonString } from "../lib/go-json.js";
import {
  concreteModelId,
  formatSourceNamespace,
  goPredictorSpecJson,
  type ModelSpecLike,
  modelLocation,
  parseConcreteModelId,
  parseSourceNamespace,
  specHash,
} from "./model-id.js";

describe("Go-compatible spec JSON and hash", () => {
  it("reproduces upstream's hash for the tensorflow Predictor example", () => {
    const spec: ModelSpecLike = {
      modelType: { name: "tensorflow" },
      path: "fvt/tensorflow/mnist.savedmodel",
      storage: { s3: { secretKey: "localMinIO" } },
    };
    expect(goPredictorSpecJson(spec)).toBe(
      '{"modelType":{"name":"tensorflow"},"path":"fvt/tensorflow/mnist.savedmodel","storage":{"s3":{"secretKey":"localMinIO"}}}',
    );
    expect(specHash(spec)).toBe("c873a37f0c");
  });

  it("reproduces upstream's model id for the sklearn InferenceService example", () => {
    // Keys deliberately out of order: Go sorts map keys.
    const spec: ModelSpecLike = {
      protocolVersion: "grpc-v2",
      storage: {
        key: "localMinIO",
        parameters: { type: "s3", bucket: "modelmesh-example-models" },
        path: "sklearn/mnist-svm.joblib",
      },
      path: "",
      modelType: { name: "sklearn" },
    };
    expect(goPredictorSpecJson(spec)).toBe(
      '{"modelType":{"name":"sklearn"},"path":"","storage":{"path":"sklearn/mnist-svm.joblib","parameters":{"bucket":"modelmesh-example-models","type":"s3"},"key":"localMinIO"},"protocolVersion":"grpc-v2"}',
    );
    expect(concreteModelId("example-sklearn-isvc2", "isvc", spec)).toBe(
      "example-sklearn-isvc2__isvc-656f22f222",
    );
  });

  it("always writes path, writes set pointers even when empty, and drops nulls", () => {
    expect(
      goPredictorSpecJson({ modelType: { name: "onnx", version: null }, schemaPath: "", gpu: null }),
    ).toBe('{"modelType":{"name":"onnx"},"path":"","schemaPath":""}');
  });

  it("writes every field in Go's declaration order", () => {
    const spec: ModelSpecLike = {
      protocolVersion: "v2",
      runtime: { name: "rt" },
      gpu: "required",
      storage: {
        s3: { bucket: "b", secretKey: "k" },
        persistentVolumeClaim: { readOnly: true, claimName: "c" },
        key: "key",
        parameters: {},
        schemaPath: "s",
        path: "p",
      },
      schemaPath: "top",
      path: "x",
      modelType: { version: "1", name: "m" },
      serviceAccountName: "sa",
    };
    expect(goPredictorSpecJson(spec)).toBe(
      '{"serviceAccountName":"sa","modelType":{"name":"m","version":"1"},"path":"x","schemaPath":"top",' +
        '"storage":{"path":"p","schemaPath":"s","parameters":{},"key":"key",' +
        '"persistentVolumeClaim":{"claimName":"c","readOnly":true},"s3":{"secretKey":"k","bucket":"b"}},' +
        '"gpu":"required","runtime":{"name":"rt"},"protocolVersion":"v2"}',
    );
  });

  it("serialises an empty runtime object as {} and a false readOnly not at all", () => {
    expect(
      goPredictorSpecJson({
        modelType: { name: "m" },
        runtime: {},
        storage: { persistentVolumeClaim: { claimName: "c", readOnly: false } },
      }),
    ).toBe(
      '{"modelType":{"name":"m"},"path":"","storage":{"persistentVolumeClaim":{"claimName":"c"}},"runtime":{}}',
    );
  });

  it("escapes strings like Go: HTML characters, line separators, control characters", () => {
    expect(goJsonString("a<b>&c\u2028\u2029")).toBe('"a\\u003cb\\u003e\\u0026c\\u2028\\u2029"');
    expect(goJsonString('q"\\\n\r\t\b\f\u0001\u001f\u007f')).toBe(
      '"q\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\u007f"',
    );
    expect(goJsonString("é😀")).toBe('"é😀"');
    expect(goJsonString("bad\ud800x\udc00")).toBe('"bad\ufffdx\ufffd"');
  });

  it("sorts map keys by UTF-8 bytes, not UTF-16 code units", () => {
    // U+FF5E sorts after U+1F600 in UTF-16 but before it in UTF-8.
    const json = goPredictorSpecJson({
      modelType: { name: "m" },
      storage: { parameters: { "😀": "1", "～": "2" } },
    });
    expect(json).toContain('"parameters":{"～":"2","😀":"1"}');
  });

  it("matches JSON.stringify for ASCII text without HTML characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii" }), (s) => {
        fc.pre(!/[<>&\b\f]/.test(s));
        expect(goJsonString(s)).toBe(JSON.stringify(s));
      }),
    );
  });

  it("gives a new id for any spec change, including unused fields", () => {
    const base: ModelSpecLike = { modelType: { name: "sklearn" }, storage: { path: "a" } };
    expect(specHash({ ...base, gpu: "preferred" })).not.toBe(specHash(base));
    expect(specHash({ ...base, serviceAccountName: "x" })).not.toBe(specHash(base));
    expect(specHash({ ...base })).toBe(specHash(base));
    expect(specHash(base)).toMatch(/^[0-9a-f]{10}$/);
  });
});

describe("registry keys", () => {
  it("splits name, source and hash on the last double underscore", () => {
    expect(parseConcreteModelId("my__model__isvc-3d2daa3370")).toEqual({
      name: "my__model",
      source: "isvc",
      hash: "3d2daa3370",
    });
    expect(parseConcreteModelId("example__ksp-c873a37f0c")).toEqual({
      name: "example",
      source: "ksp",
      hash: "c873a37f0c",
    });
  });

  it("ignores ids it did not make", () => {
    for (const id of [
      "plain",
      "__ksp-c873a37f0c",
      "a__-c873a37f0c",
      "a__ksp-c873a37f0",
      "a__ksp-c873a37f0z",
      "a__kspc873a37f0c1",
    ]) {
      expect(parseConcreteModelId(id)).toBeUndefined();
    }
  });

  it("round-trips every id it makes", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$/),
        fc.constantFrom("ksp", "isvc"),
        (name, source) => {
          const id = concreteModelId(name, source, { modelType: { name: "m" } });
          expect(parseConcreteModelId(id)).toMatchObject({ name, source });
        },
      ),
    );
  });
});

describe("reconcile key namespaces", () => {
  it("reads <source>_<ns> on the last underscore and a plain namespace as a Predictor's", () => {
    expect(parseSourceNamespace("isvc_team-a")).toEqual({ source: "isvc", namespace: "team-a" });
    expect(parseSourceNamespace("a_b_team")).toEqual({ source: "a_b", namespace: "team" });
    expect(parseSourceNamespace("team-a")).toEqual({ source: "ksp", namespace: "team-a" });
    expect(parseSourceNamespace("_team")).toEqual({ source: "ksp", namespace: "_team" });
  });

  it("formats Predictors with the plain namespace and round-trips", () => {
    expect(formatSourceNamespace("ksp", "ns")).toBe("ns");
    expect(formatSourceNamespace("isvc", "ns")).toBe("isvc_ns");
    for (const source of ["ksp", "isvc"]) {
      expect(parseSourceNamespace(formatSourceNamespace(source, "ns"))).toEqual({ source, namespace: "ns" });
    }
  });
});

describe("ModelInfo path and key", () => {
  it("builds upstream's key JSON for the s3 example", () => {
    const location = modelLocation({
      modelType: { name: "tensorflow" },
      path: "fvt/tensorflow/mnist.savedmodel",
      storage: { s3: { secretKey: "localMinIO", bucket: "x" } },
    });
    expect(location).toEqual({
      path: "fvt/tensorflow/mnist.savedmodel",
      key: '{"storage_key":"localMinIO","storage_params":{"bucket":"x"},"model_type":{"name":"tensorflow"}}',
    });
  });

  it("prefers the storage fields and sorts parameters", () => {
    const location = modelLocation({
      modelType: { name: "sklearn", version: "0" },
      schemaPath: "old",
      storage: { path: "p/q", schemaPath: "schema.json", key: "k", parameters: { type: "s3", bucket: "b" } },
    });
    expect(location).toEqual({
      path: "p/q",
      key: '{"storage_key":"k","storage_params":{"bucket":"b","type":"s3"},"model_type":{"name":"sklearn","version":"0"},"schema_path":"schema.json"}',
    });
  });

  it("sends only the model type without storage, and omits empty parameters", () => {
    expect(modelLocation({ modelType: { name: "m" }, path: "ignored", schemaPath: "ignored" })).toEqual({
      path: "",
      key: '{"model_type":{"name":"m"}}',
    });
    expect(modelLocation({ modelType: { name: "m" }, storage: { path: "p", parameters: {} } }).key).toBe(
      '{"model_type":{"name":"m"}}',
    );
    expect(modelLocation({ modelType: { name: "m" }, path: "legacy", schemaPath: "s", storage: {} })).toEqual(
      {
        path: "legacy",
        key: '{"model_type":{"name":"m"},"schema_path":"s"}',
      },
    );
  });
});
