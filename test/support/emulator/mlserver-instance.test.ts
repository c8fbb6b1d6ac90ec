import { describe, expect, it } from "vitest";
import { adapterModelType } from "./mlserver-instance.js";

describe("adapterModelType", () => {
  it("takes model_type.name from the model key, as the adapter does", () => {
    const modelKey = '{"storage_params":{"type":"s3"},"model_type":{"name":"xgboost","version":"1"}}';
    expect(adapterModelType({ modelType: "mt:sklearn", modelKey })).toBe("xgboost");
  });

  it("falls back to the format of the type's mt: label when the key names none", () => {
    expect(adapterModelType({ modelType: "mt:sklearn", modelKey: '{"storage_key":"x"}' })).toBe("sklearn");
    expect(adapterModelType({ modelType: "mt:lightgbm:3|pv:grpc-v2", modelKey: "not json" })).toBe(
      "lightgbm:3",
    );
    expect(adapterModelType({ modelType: "rt:mlserver-1.x", modelKey: "" })).toBe("rt:mlserver-1.x");
  });
});
