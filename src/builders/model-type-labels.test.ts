import { describe, expect, it } from "vitest";
import { loadBuiltInRuntime } from "../../test/support/runtimes/load.js";
import {
  modelMeshLabels,
  predictorTypeLabel,
  runtimeLabelSet,
  runtimeSupportsPredictor,
} from "./model-type-labels.js";

describe("runtimeLabelSet", () => {
  const spec = {
    supportedModelFormats: [
      { name: "tensorflow", version: "1.10", autoSelect: true },
      { name: "tensorflow", version: "2", autoSelect: false },
      { name: "keras", autoSelect: true },
      { name: "onnx", version: "1" },
    ],
    protocolVersions: ["grpc-v2", "v1"],
  };

  it("lists auto-selectable formats with and without version, protocols and the runtime name", () => {
    expect([...runtimeLabelSet("tf", spec, false)].sort()).toEqual([
      "mt:keras",
      "mt:tensorflow",
      "mt:tensorflow:1.10",
      "pv:grpc-v2",
      "pv:v1",
      "rt:tf",
    ]);
  });

  it("adds pv:v2 for a grpc-v2 runtime when the REST proxy is on", () => {
    expect(runtimeLabelSet("tf", spec, true).has("pv:v2")).toBe(true);
    expect(runtimeLabelSet("tf", { protocolVersions: ["grpc-v1"] }, true).has("pv:v2")).toBe(false);
  });

  it("keeps an empty version as a label of its own, like upstream", () => {
    expect(
      runtimeLabelSet("r", { supportedModelFormats: [{ name: "x", version: "", autoSelect: true }] }, false),
    ).toEqual(new Set(["mt:x", "mt:x:", "rt:r"]));
  });

  it("gives a runtime without formats or protocols only its name", () => {
    expect(runtimeLabelSet("bare", {}, true)).toEqual(new Set(["rt:bare"]));
  });

  it.each([
    [
      "mlserver-1.x",
      false,
      "mt:lightgbm,mt:lightgbm:3,mt:sklearn,mt:sklearn:0,mt:xgboost,mt:xgboost:1,pv:grpc-v2,rt:mlserver-1.x",
    ],
    [
      "mlserver-1.x",
      true,
      "mt:lightgbm,mt:lightgbm:3,mt:sklearn,mt:sklearn:0,mt:xgboost,mt:xgboost:1,pv:grpc-v2,pv:v2,rt:mlserver-1.x",
    ],
    ["ovms-1.x", true, "mt:openvino_ir,mt:openvino_ir:opset1,pv:grpc-v1,rt:ovms-1.x"],
    ["torchserve-0.x", true, "mt:pytorch-mar,mt:pytorch-mar:0,rt:torchserve-0.x"],
    [
      "triton-2.x",
      true,
      "mt:keras,mt:keras:2,mt:onnx,mt:onnx:1,mt:pytorch,mt:pytorch:1,mt:tensorflow,mt:tensorflow:1,mt:tensorflow:2," +
        "mt:tensorrt,mt:tensorrt:7,pv:grpc-v2,pv:v2,rt:triton-2.x",
    ],
  ] as const)("MM_LABELS of built-in %s (REST proxy %s)", (name, restProxy, expected) => {
    const runtime = loadBuiltInRuntime(name);
    expect(modelMeshLabels(runtimeLabelSet(name, runtime.spec, restProxy))).toBe(expected);
  });
});

describe("predictorTypeLabel", () => {
  it.each([
    [{ modelType: { name: "sklearn" } }, "mt:sklearn"],
    [{ modelType: { name: "sklearn", version: "0" } }, "mt:sklearn:0"],
    [{ modelType: { name: "sklearn" }, protocolVersion: "grpc-v2" }, "mt:sklearn|pv:grpc-v2"],
    [{ modelType: { name: "onnx", version: "1" }, protocolVersion: "v2" }, "mt:onnx:1|pv:v2"],
    [
      { modelType: { name: "sklearn" }, protocolVersion: "v2", runtime: { name: "mlserver-1.x" } },
      "rt:mlserver-1.x",
    ],
    [{ modelType: { name: "sklearn" }, runtime: { name: "" } }, "mt:sklearn"],
  ])("%j ⇒ %s", (spec, label) => {
    expect(predictorTypeLabel(spec)).toBe(label);
  });
});

describe("runtimeSupportsPredictor", () => {
  const mlserver = runtimeLabelSet("mlserver-1.x", loadBuiltInRuntime("mlserver-1.x").spec, true);
  const triton = runtimeLabelSet("triton-2.x", loadBuiltInRuntime("triton-2.x").spec, true);
  it.each([
    ["mt:sklearn", true, false],
    ["mt:sklearn:0", true, false],
    ["mt:sklearn|pv:grpc-v2", true, false],
    ["mt:sklearn|pv:v2", true, false],
    ["mt:sklearn|pv:v1", false, false],
    ["mt:sklearn:1", false, false],
    ["mt:onnx", false, true],
    ["mt:tensorflow:2|pv:grpc-v2", false, true],
    ["rt:mlserver-1.x", true, false],
    ["rt:triton-2.x", false, true],
    ["mt:pytorch-mar", false, false],
  ])("%s: mlserver %s, triton %s", (label, byMlserver, byTriton) => {
    expect(runtimeSupportsPredictor(mlserver, label)).toBe(byMlserver);
    expect(runtimeSupportsPredictor(triton, label)).toBe(byTriton);
  });
});
