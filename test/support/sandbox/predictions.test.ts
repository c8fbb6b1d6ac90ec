import { describe, expect, it } from "vitest";
import { prediction, predictionLines, predictionRequest } from "./predictions.js";

const digits = {
  path: "sklearn/mnist-svm.joblib",
  modelType: "sklearn",
  features: 3,
  datatype: "FP32",
  inputs: [
    [0, 1, 2],
    [3, 4, 5],
  ],
  expectedClasses: [7, 1],
  heldOutAccuracy: 0.98,
};

describe("sandbox predictions", () => {
  it("asks for the first known input as a KServe v2 tensor of one row", () => {
    expect(JSON.parse(predictionRequest(digits))).toEqual({
      inputs: [{ name: "input-0", shape: [1, 3], datatype: "FP32", data: [0, 1, 2] }],
    });
  });

  it("reads the predicted class of the first row, or the class a probability of class 1 decides", () => {
    expect(prediction('{"model_name":"m__isvc-1","outputs":[{"name":"predict","data":[7]}]}')).toEqual({
      predictedClass: 7,
    });
    expect(prediction('{"outputs":[{"name":"predict","data":[0.0284,0.97]}]}')).toEqual({
      predictedClass: 0,
      probability: 0.0284,
    });
    expect(prediction('{"outputs":[]}')).toBeUndefined();
  });

  it("prints each prediction, then a curl and a gRPC command per example", () => {
    const lines = predictionLines(
      [
        {
          example: { name: "example-sklearn-mnist", model: digits },
          predicted: { predictedClass: 7 },
          bodyFile: "b.json",
        },
      ],
      { grpc: 8033, rest: 8008 },
    );
    expect(lines[0]).toContain("example-sklearn-mnist: an 8×8 handwritten digit");
    expect(lines[0]).toContain("→ predicted class 7 (expected 7)");
    expect(lines).toContain(
      "  curl -s -H 'Content-Type: application/json' -d @b.json http://127.0.0.1:8008/v2/models/example-sklearn-mnist/infer",
    );
    expect(lines).toContain("  npx tsx scripts/infer.ts --grpc 127.0.0.1:8033 example-sklearn-mnist b.json");
  });
});
