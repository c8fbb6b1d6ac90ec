import { describe, expect, it } from "vitest";
import { BUILT_IN_RUNTIME_NAMES, loadBuiltInRuntime } from "../../test/support/runtimes/load.js";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import {
  buildTypeConstraintsConfigMap,
  DATAPLANE_API_CONFIG,
  typeConstraintsJson,
} from "./type-constraints.js";

function builtInSpecs(): Map<string, ServingRuntimeSpec> {
  return new Map(BUILT_IN_RUNTIME_NAMES.map((name) => [name, loadBuiltInRuntime(name).spec]));
}

describe("typeConstraintsJson", () => {
  it("reproduces upstream's TestCalculateConstraintData byte for byte", () => {
    const spec: ServingRuntimeSpec = {
      multiModel: true,
      containers: [{ name: "tf", image: "tf" }],
      supportedModelFormats: [
        { name: "tensorflow", version: "1.10", autoSelect: true },
        { name: "tensorflow", version: "2" },
      ],
      protocolVersions: ["v1", "v2"],
    };
    expect(typeConstraintsJson(new Map([["tf-serving-runtime", spec]]), false)).toBe(
      '{"_default":{"required":["_no_runtime"]},"mt:tensorflow":{"required":["mt:tensorflow"]},' +
        '"mt:tensorflow:1.10":{"required":["mt:tensorflow:1.10"]},' +
        '"mt:tensorflow:1.10|pv:v1":{"required":["mt:tensorflow:1.10","pv:v1"]},' +
        '"mt:tensorflow:1.10|pv:v2":{"required":["mt:tensorflow:1.10","pv:v2"]},' +
        '"mt:tensorflow|pv:v1":{"required":["mt:tensorflow","pv:v1"]},' +
        '"mt:tensorflow|pv:v2":{"required":["mt:tensorflow","pv:v2"]},' +
        '"rt:tf-serving-runtime":{"required":["rt:tf-serving-runtime"]}}',
    );
  });

  it("lists the keys of a default install (four built-in runtimes, REST proxy on) in Go's order", () => {
    const constraints = JSON.parse(typeConstraintsJson(builtInSpecs(), true)) as Record<
      string,
      { required: string[] }
    >;
    const combos = (label: string, protocols: string[]) =>
      protocols.map((protocol) => `${label}|${protocol}`);
    const grpcV2 = ["pv:grpc-v2", "pv:v2"];
    const format = (name: string, version: string, protocols: string[]) => [
      `mt:${name}`,
      `mt:${name}:${version}`,
      ...combos(`mt:${name}:${version}`, protocols),
      ...combos(`mt:${name}`, protocols),
    ];
    expect(Object.keys(constraints)).toEqual([
      "_default",
      ...format("keras", "2", grpcV2),
      ...format("lightgbm", "3", grpcV2),
      ...format("onnx", "1", grpcV2),
      ...format("openvino_ir", "opset1", ["pv:grpc-v1"]),
      "mt:pytorch",
      "mt:pytorch-mar",
      "mt:pytorch-mar:0",
      "mt:pytorch:1",
      ...combos("mt:pytorch:1", grpcV2),
      ...combos("mt:pytorch", grpcV2),
      ...format("sklearn", "0", grpcV2),
      "mt:tensorflow",
      "mt:tensorflow:1",
      ...combos("mt:tensorflow:1", grpcV2),
      "mt:tensorflow:2",
      ...combos("mt:tensorflow:2", grpcV2),
      ...combos("mt:tensorflow", grpcV2),
      ...format("tensorrt", "7", grpcV2),
      ...format("xgboost", "1", grpcV2),
      "rt:mlserver-1.x",
      "rt:ovms-1.x",
      "rt:torchserve-0.x",
      "rt:triton-2.x",
    ]);
    expect(constraints["mt:onnx:1|pv:v2"]).toEqual({ required: ["mt:onnx:1", "pv:v2"] });
  });

  it("leaves out disabled and single-model runtimes but always has the default", () => {
    const specs = new Map<string, ServingRuntimeSpec>([
      [
        "off",
        {
          multiModel: true,
          disabled: true,
          containers: [],
          supportedModelFormats: [{ name: "a", autoSelect: true }],
        },
      ],
      ["single", { containers: [], supportedModelFormats: [{ name: "b", autoSelect: true }] }],
    ]);
    expect(typeConstraintsJson(specs, true)).toBe('{"_default":{"required":["_no_runtime"]}}');
  });

  it("escapes label text like Go's json.Marshal", () => {
    const specs = new Map<string, ServingRuntimeSpec>([
      ["r", { multiModel: true, containers: [], supportedModelFormats: [{ name: "a&b", autoSelect: true }] }],
    ]);
    expect(typeConstraintsJson(specs, false)).toContain('"mt:a\\u0026b":{"required":["mt:a\\u0026b"]}');
  });
});

describe("buildTypeConstraintsConfigMap", () => {
  it("holds both keys as binary data, labelled as the controller's, without owner", () => {
    const configMap = buildTypeConstraintsConfigMap("ns1", builtInSpecs(), true);
    expect(configMap.metadata).toEqual({
      name: "tc-config",
      namespace: "ns1",
      labels: {
        "app.kubernetes.io/instance": "modelmesh-controller",
        "app.kubernetes.io/managed-by": "modelmesh-controller",
        "app.kubernetes.io/name": "modelmesh-controller",
      },
    });
    const decode = (key: string) => Buffer.from(configMap.binaryData?.[key] ?? "", "base64").toString("utf8");
    expect(decode("type_constraints")).toBe(typeConstraintsJson(builtInSpecs(), true));
    expect(decode("dataplane_api_config")).toBe(DATAPLANE_API_CONFIG);
    expect(DATAPLANE_API_CONFIG.endsWith("}")).toBe(true);
    expect(DATAPLANE_API_CONFIG).toContain(
      '\n        "tensorflow.serving.PredictionService/Predict": {\n            "idExtractionPath": [1, 1],',
    );
  });
});
