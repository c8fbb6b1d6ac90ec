/** The Events the serving-runtime reconciler records on a runtime, and which one a Deployment change earns. */
import type { V1Deployment } from "@kubernetes/client-node";
import type { EffectiveRuntime } from "../../builders/effective-runtimes.js";

export const REASONS = {
  invalidSpec: "InvalidRuntimeSpec",
  renderFailed: "DeploymentRenderFailed",
  deploymentRejected: "DeploymentRejected",
  deploymentCreated: "DeploymentCreated",
  deploymentDeleted: "DeploymentDeleted",
  scaledToZero: "ScaledToZero",
  scaledUp: "ScaledUp",
  hpaCreated: "HorizontalPodAutoscalerCreated",
  hpaDeleted: "HorizontalPodAutoscalerDeleted",
} as const;

/** A ClusterServingRuntime is one object for many namespaces: its messages say which one. */
export function inNamespace(runtime: EffectiveRuntime, namespace: string, message: string): string {
  return runtime.object.metadata?.namespace === undefined ? `namespace ${namespace}: ${message}` : message;
}

export interface RuntimeEvent {
  reason: string;
  message: string;
}

/**
 * The Normal Event of applying Deployment `target` with `replicas` over `live`: created, scaled to zero or
 * scaled up from zero; none for other changes.
 */
export function deploymentEvent(
  target: string,
  live: V1Deployment | undefined,
  replicas: number | undefined,
): RuntimeEvent | undefined {
  const liveReplicas = live?.spec?.replicas;
  if (live === undefined) {
    return {
      reason: REASONS.deploymentCreated,
      message: `Created Deployment ${target} with ${replicas ?? "unmanaged"} replicas`,
    };
  }
  if (replicas === 0 && liveReplicas !== 0) {
    return {
      reason: REASONS.scaledToZero,
      message: `Scaled Deployment ${target} to zero: no model uses this runtime`,
    };
  }
  if (replicas !== undefined && replicas > 0 && liveReplicas === 0)
    return { reason: REASONS.scaledUp, message: `Scaled Deployment ${target} up to ${replicas} replicas` };
  return undefined;
}
