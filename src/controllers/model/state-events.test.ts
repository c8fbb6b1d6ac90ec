import { describe, expect, it } from "vitest";
import { INITIAL_PREDICTOR_STATUS, type PredictorStatus } from "../../apis/serving/v1alpha1/predictor.js";
import { stateChange } from "./state-events.js";

const pending: PredictorStatus = { ...INITIAL_PREDICTOR_STATUS };
const waiting: PredictorStatus = {
  ...pending,
  activeModelState: "Loading",
  lastFailureInfo: {
    reason: "RuntimeUnhealthy",
    message: "Waiting for supporting runtime Pod to become available",
  },
};
const loading: PredictorStatus = { ...pending, activeModelState: "Loading" };
const loaded: PredictorStatus = { ...pending, activeModelState: "Loaded", available: true };

describe("stateChange", () => {
  it("records nothing for a first load that goes well, written with or without its Loading step", () => {
    expect(stateChange(pending, loading, false)).toBeUndefined();
    expect(stateChange(loading, loaded, false)).toBeUndefined();
    expect(stateChange(pending, loaded, false)).toBeUndefined();
  });

  it("records a failure as a Warning, once per distinct failure", () => {
    expect(stateChange(pending, waiting, false)).toEqual({
      type: "Warning",
      reason: "RuntimeUnhealthy",
      message: "Waiting for supporting runtime Pod to become available",
    });
    expect(stateChange(waiting, { ...waiting }, true)).toBeUndefined();
  });

  it("records the recovery of a first load that failed, also when Loading came in between", () => {
    const recovered = {
      type: "Normal",
      reason: "ModelStateChanged",
      message: "Active model Loaded, transition UpToDate",
    };
    expect(stateChange(waiting, loaded, true)).toEqual(recovered);
    // The failure is gone from the status once Loading replaced it: only the controller's memory knows.
    expect(stateChange(loading, loaded, true)).toEqual(recovered);
  });

  it("records state changes of a model that was loaded before", () => {
    expect(stateChange(loaded, { ...loaded, activeModelState: "Standby", available: false }, false)).toEqual({
      type: "Normal",
      reason: "ModelStateChanged",
      message: "Active model Standby, transition UpToDate",
    });
  });
});
