/**
 * Which status changes become Events on the model (decision 0140): failures as Warnings, and state changes as
 * Normal `ModelStateChanged`, except a first load that goes well, which is routine.
 */
import type { PredictorStatus } from "../../apis/serving/v1alpha1/predictor.js";
import type { EventType } from "../context/context.js";

/**
 * A short line for an Event when the model's state changed, or undefined. `failedSinceLoaded`: the model reported a
 * failure since it was last Loaded (a status the API server may no longer show, once `Loading` replaced it).
 */
export function stateChange(
  before: PredictorStatus,
  after: PredictorStatus,
  failedSinceLoaded: boolean,
): { type: EventType; reason: string; message: string } | undefined {
  const failure = after.lastFailureInfo;
  if (
    failure?.reason !== undefined &&
    (failure.reason !== before.lastFailureInfo?.reason || failure.message !== before.lastFailureInfo?.message)
  ) {
    return { type: "Warning", reason: failure.reason, message: failure.message ?? failure.reason };
  }
  if (
    before.activeModelState === after.activeModelState &&
    before.targetModelState === after.targetModelState &&
    before.transitionStatus === after.transitionStatus
  ) {
    return undefined;
  }
  // A first load that goes well is routine; thousands of them would be thousands of writes (decision 0140). One
  // that met a failure on the way is news up to its end.
  const firstLoad = before.activeModelState === "Pending" || before.activeModelState === "Loading";
  const routine = before.lastFailureInfo === undefined && !failedSinceLoaded;
  if (firstLoad && routine && after.targetModelState === "") return undefined;
  const target = after.targetModelState === "" ? "" : `, target model ${after.targetModelState}`;
  return {
    type: "Normal",
    reason: "ModelStateChanged",
    message: `Active model ${after.activeModelState}${target}, transition ${after.transitionStatus}`,
  };
}
