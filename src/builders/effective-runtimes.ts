/**
 * Which runtimes a namespace sees: every ServingRuntime of the namespace, and each multi-model
 * ClusterServingRuntime that no ServingRuntime of the same name hides, even one that is not multi-model
 * (upstream's `controllers/servingruntime_controller.go Reconcile`: its `srSpecs`, and its runtime lookup that
 * tries the ServingRuntime before the ClusterServingRuntime).
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { KIND_CLUSTER_SERVING_RUNTIME, KIND_SERVING_RUNTIME } from "../apis/serving/group.js";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import type { RuntimeKind } from "./deployment.js";

/** A runtime as read: the spec is whatever the API server accepted (the CRD schema), not re-validated here. */
export interface RuntimeObject extends KubernetesObject {
  spec?: ServingRuntimeSpec;
}

export interface EffectiveRuntime {
  kind: RuntimeKind;
  object: RuntimeObject;
}

export function isMultiModel(runtime: RuntimeObject): boolean {
  return runtime.spec?.multiModel === true;
}

/** The runtime a name means in a namespace: its ServingRuntime, else the ClusterServingRuntime. */
export function effectiveRuntime(
  servingRuntime: RuntimeObject | undefined,
  clusterRuntime: RuntimeObject | undefined,
): EffectiveRuntime | undefined {
  if (servingRuntime !== undefined) return { kind: KIND_SERVING_RUNTIME, object: servingRuntime };
  if (clusterRuntime !== undefined) return { kind: KIND_CLUSTER_SERVING_RUNTIME, object: clusterRuntime };
  return undefined;
}

/** Every runtime of a namespace by name: its multi-model ClusterServingRuntimes, then all its ServingRuntimes. */
export function effectiveRuntimes(
  clusterRuntimes: Iterable<RuntimeObject>,
  servingRuntimes: Iterable<RuntimeObject>,
): Map<string, EffectiveRuntime> {
  const runtimes = new Map<string, EffectiveRuntime>();
  for (const object of clusterRuntimes) {
    if (isMultiModel(object))
      runtimes.set(object.metadata?.name ?? "", { kind: KIND_CLUSTER_SERVING_RUNTIME, object });
  }
  for (const object of servingRuntimes) {
    runtimes.set(object.metadata?.name ?? "", { kind: KIND_SERVING_RUNTIME, object });
  }
  return runtimes;
}

/** Runtime specs by name, for the namespace's `tc-config` (upstream's `srSpecs`). */
export function runtimeSpecs(
  runtimes: ReadonlyMap<string, EffectiveRuntime>,
): Map<string, ServingRuntimeSpec> {
  const specs = new Map<string, ServingRuntimeSpec>();
  for (const [name, runtime] of runtimes) specs.set(name, runtime.object.spec ?? { containers: [] });
  return specs;
}
