/**
 * How many pods a runtime gets (upstream's `controllers/servingruntime_controller.go determineReplicasAndRequeueDuration`), as a pure decision. The caller keeps, per runtime, the time
 * it was last seen without models (`noModelsSince`) and feeds back what this returns.
 */
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import type { ServingConfig } from "../config/serving-config.js";
import { runtimeSupportsPredictor } from "./model-type-labels.js";

/**
 * - `undefined`: never seen by this process; treated as "without models since forever", so a runtime nobody
 *   uses goes to zero at once (upstream behaves the same after a controller restart).
 * - `null`: in use when last seen.
 * - a number: milliseconds since the epoch when it was first seen without models.
 */
export type NoModelsSince = number | null | undefined;

/** Remembered for a runtime first seen without models: long past any grace period. */
export const NEVER_USED = 0;

export type ScaleReason =
  | "scale-to-zero-disabled"
  | "in-use"
  | "grace-period-started"
  | "within-grace-period"
  | "scaled-to-zero";

export interface ReplicaDecision {
  replicas: number;
  /** When to look again (the rest of the grace period); 0 means only on the next event. */
  requeueAfterMs: number;
  /** The value to remember for the next decision. */
  noModelsSince: number | null;
  reason: ScaleReason;
}

export interface ReplicaInputs {
  spec: Pick<ServingRuntimeSpec, "replicas">;
  config: ServingConfig;
  inUse: boolean;
  noModelsSince: NoModelsSince;
  nowMs: number;
}

/** Whether any of the models' type labels (model-type-labels.ts) is served by a runtime with these labels. */
export function runtimeInUse(runtimeLabels: ReadonlySet<string>, modelTypeLabels: Iterable<string>): boolean {
  for (const label of modelTypeLabels) if (runtimeSupportsPredictor(runtimeLabels, label)) return true;
  return false;
}

/** Pods of a runtime that is scaled up: its own `replicas`, else the config's `podsPerRuntime`. */
export function scaledUpReplicas(spec: Pick<ServingRuntimeSpec, "replicas">, config: ServingConfig): number {
  return spec.replicas ?? config.podsPerRuntime;
}

export function decideReplicas(inputs: ReplicaInputs): ReplicaDecision {
  const scaledUp = scaledUpReplicas(inputs.spec, inputs.config);
  const { enabled, gracePeriodSeconds } = inputs.config.scaleToZero;
  if (!enabled)
    return { replicas: scaledUp, requeueAfterMs: 0, noModelsSince: null, reason: "scale-to-zero-disabled" };
  if (inputs.inUse) return { replicas: scaledUp, requeueAfterMs: 0, noModelsSince: null, reason: "in-use" };
  if (inputs.noModelsSince === undefined) {
    return { replicas: 0, requeueAfterMs: 0, noModelsSince: NEVER_USED, reason: "scaled-to-zero" };
  }
  const since = inputs.noModelsSince ?? inputs.nowMs;
  const remainingMs = since + gracePeriodSeconds * 1000 - inputs.nowMs;
  if (remainingMs > 0) {
    const reason = inputs.noModelsSince === null ? "grace-period-started" : "within-grace-period";
    return { replicas: scaledUp, requeueAfterMs: remainingMs, noModelsSince: since, reason };
  }
  return { replicas: 0, requeueAfterMs: 0, noModelsSince: since, reason: "scaled-to-zero" };
}
