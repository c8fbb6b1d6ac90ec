import { describe, expect, it } from "vitest";
import { DATAPLANE_API_CONFIG } from "../../../src/builders/type-constraints.js";
import { DataplaneApiConfig } from "./dataplane-config.js";

describe("DataplaneApiConfig", () => {
  it("reads the config the controller writes: KServe v2 ids from field 1 as vmodel ids, other methods by headers", () => {
    const config = DataplaneApiConfig.parse(DATAPLANE_API_CONFIG);
    expect(config.rpcConfig("inference.GRPCInferenceService/ModelInfer")).toEqual({
      idExtractionPath: [1],
      vModelId: true,
    });
    expect(config.rpcConfig("inference.GRPCInferenceService/ModelMetadata")).toEqual({
      idExtractionPath: [1],
      vModelId: true,
    });
    expect(config.rpcConfig("tensorflow.serving.PredictionService/Predict")?.idExtractionPath).toEqual([
      1, 1,
    ]);
    expect(config.rpcConfig("inference.GRPCInferenceService/ModelReady")).toEqual({
      idExtractionPath: [],
      vModelId: false,
    });
  });

  it("refuses other methods unless allowOtherRpcs, and defaults missing members as model-mesh does", () => {
    const config = DataplaneApiConfig.parse('{"rpcConfigs":{"a.S/M":{"vModelId":true}}}');
    expect(config.rpcConfig("a.S/M")).toEqual({ idExtractionPath: [], vModelId: true });
    expect(config.rpcConfig("a.S/Other")).toBeUndefined();
    expect(DataplaneApiConfig.parse("{}").rpcConfig("a.S/M")).toBeUndefined();
  });

  it("allows every method, routed by headers, when there is no config", () => {
    expect(DataplaneApiConfig.NONE.rpcConfig("inference.GRPCInferenceService/ModelInfer")).toEqual({
      idExtractionPath: [],
      vModelId: false,
    });
  });

  it("refuses unknown members and malformed paths", () => {
    expect(() => DataplaneApiConfig.parse('{"rpcConfigs":{},"extra":1}')).toThrow();
    expect(() => DataplaneApiConfig.parse('{"rpcConfigs":{"a.S/M":{"idExtractionPath":[0]}}}')).toThrow();
    expect(() => DataplaneApiConfig.parse('{"rpcConfigs":{"a.S/M":{"vmodelId":true}}}')).toThrow();
  });
});
