import { describe, expect, it } from "vitest";
import { INITIAL_PREDICTOR_STATUS, type PredictorStatus } from "../../apis/serving/v1alpha1/predictor.js";
import type { InferenceServiceStatus } from "../../apis/serving/v1beta1/inference-service.js";
import { inferenceServiceStatusWith, predictorStatusOfInferenceService } from "./inference-service-status.js";

const NOW = new Date("2026-03-01T10:00:00Z");
const LATER = new Date("2026-03-01T11:00:00Z");
const GRPC = "grpc://modelmesh-serving.ns:8033";
const REST = "http://modelmesh-serving.ns:8008";

const loaded: PredictorStatus = {
  ...INITIAL_PREDICTOR_STATUS,
  available: true,
  activeModelState: "Loaded",
  totalCopies: 1,
  grpcEndpoint: GRPC,
  httpEndpoint: REST,
};

describe("InferenceService status", () => {
  it("writes modelStatus, URLs and ready conditions, keeping what other controllers own", () => {
    const existing: InferenceServiceStatus = {
      observedGeneration: 3,
      address: { url: "http://other" },
      conditions: [{ type: "IngressReady", status: "True", lastTransitionTime: "2026-01-01T00:00:00Z" }],
      components: { transformer: { url: "http://t" }, predictor: { latestReadyRevision: "r1" } },
    };
    expect(inferenceServiceStatusWith(existing, loaded, NOW)).toEqual({
      observedGeneration: 3,
      address: { url: "http://other" },
      url: GRPC,
      components: {
        transformer: { url: "http://t" },
        predictor: { latestReadyRevision: "r1", url: GRPC, grpcUrl: GRPC, restUrl: REST },
      },
      conditions: [
        { type: "IngressReady", status: "True", lastTransitionTime: "2026-01-01T00:00:00Z" },
        { type: "PredictorReady", status: "True", lastTransitionTime: "2026-03-01T10:00:00Z" },
        { type: "Ready", status: "True", lastTransitionTime: "2026-03-01T10:00:00Z" },
      ],
      modelStatus: {
        transitionStatus: "UpToDate",
        states: { activeModelState: "Loaded", targetModelState: "" },
        copies: { failedCopies: 0, totalCopies: 1 },
      },
    });
  });

  it("keeps a condition's transition time while its status stays, and drops the URLs when not available", () => {
    const first = inferenceServiceStatusWith(undefined, loaded, NOW);
    expect(inferenceServiceStatusWith(first, loaded, LATER)).toEqual(first);
    const failing: PredictorStatus = {
      ...loaded,
      available: false,
      activeModelState: "FailedToLoad",
      targetModelState: "",
      totalCopies: 0,
      lastFailureInfo: {
        reason: "ModelLoadFailed",
        message: "bad",
        modelId: "m__isvc-1",
        location: "p",
        time: "t",
      },
    };
    const next = inferenceServiceStatusWith(first, failing, LATER);
    expect(next.url).toBeUndefined();
    expect(next.components).toBeUndefined();
    expect(next.conditions).toEqual([
      { type: "PredictorReady", status: "False", lastTransitionTime: "2026-03-01T11:00:00Z" },
      { type: "Ready", status: "False", lastTransitionTime: "2026-03-01T11:00:00Z" },
    ]);
    expect(next.modelStatus).toEqual({
      transitionStatus: "UpToDate",
      states: { activeModelState: "FailedToLoad", targetModelState: "" },
      copies: { failedCopies: 0 },
      lastFailureInfo: {
        reason: "ModelLoadFailed",
        message: "bad",
        modelRevisionName: "m__isvc-1",
        location: "p",
        time: "t",
      },
    });
  });

  it("reads back what it wrote", () => {
    const written = inferenceServiceStatusWith(undefined, { ...loaded, targetModelState: "Loading" }, NOW);
    expect(predictorStatusOfInferenceService(written)).toEqual({ ...loaded, targetModelState: "Loading" });
  });

  it("reads a fresh InferenceService as the CRD defaults of a Predictor", () => {
    expect(predictorStatusOfInferenceService(undefined)).toEqual({
      ...INITIAL_PREDICTOR_STATUS,
      grpcEndpoint: "",
      httpEndpoint: "",
    });
  });

  it("reads KServe's values the Predictor status lacks as its defaults: an empty transition, RuntimeDisabled", () => {
    const status: InferenceServiceStatus = {
      modelStatus: {
        transitionStatus: "",
        states: { activeModelState: "Pending" },
        lastFailureInfo: { reason: "RuntimeDisabled", message: "disabled", modelRevisionName: "m__isvc-1" },
      },
    };
    expect(predictorStatusOfInferenceService(status)).toEqual({
      ...INITIAL_PREDICTOR_STATUS,
      lastFailureInfo: { message: "disabled", modelId: "m__isvc-1" },
      grpcEndpoint: "",
      httpEndpoint: "",
    });
  });
});
