import { describe, expect, it } from "vitest";
import { generatedModelSettings, modelDirectory, normalizedModelType } from "./model-repository.js";

describe("the mlserver adapter's model layout", () => {
  it("names the implementation by model type, ignoring case and a version suffix", () => {
    expect(normalizedModelType("SKLearn:1")).toBe("sklearn");
    expect(JSON.parse(generatedModelSettings("m__isvc-1", "XGBoost", "/r/m__isvc-1/model.json"))).toEqual({
      implementation: "mlserver_xgboost.XGBoostModel",
      name: "m__isvc-1",
      parameters: { uri: "/r/m__isvc-1/model.json" },
    });
    expect(JSON.parse(generatedModelSettings("m", "lightgbm", "/l")).implementation).toBe(
      "mlserver_lightgbm.LightGBMModel",
    );
    expect(JSON.parse(generatedModelSettings("m", "sklearn", "/l")).implementation).toBe(
      "mlserver_sklearn.SKLearnModel",
    );
  });

  it("leaves the implementation out for a type the adapter does not know", () => {
    expect(JSON.parse(generatedModelSettings("m", "onnx", "/l"))).toEqual({
      name: "m",
      parameters: { uri: "/l" },
    });
  });

  it("writes the file as Go's json.MarshalIndent of a map: sorted keys, two-space indents", () => {
    expect(generatedModelSettings("m", "sklearn", "/l")).toBe(
      '{\n  "implementation": "mlserver_sklearn.SKLearnModel",\n  "name": "m",\n  "parameters": {\n    "uri": "/l"\n  }\n}',
    );
  });

  it("keeps a model's directory inside the repository whatever its id", () => {
    expect(modelDirectory("/repo", "m__isvc-1")).toBe("/repo/m__isvc-1");
    expect(modelDirectory("/repo", "../../etc")).toBe("/repo/etc");
    expect(modelDirectory("/repo", "a/../b")).toBe("/repo/b");
  });
});
