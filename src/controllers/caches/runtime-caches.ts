/**
 * The ServingRuntimes and ClusterServingRuntimes a namespace sees, read from the shared caches: a
 * ClusterServingRuntime applies to every served namespace unless a ServingRuntime of the same name hides it.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { CLUSTER_SERVING_RUNTIMES, SERVING_RUNTIMES } from "../../apis/resource-types.js";
import { KIND_CLUSTER_SERVING_RUNTIME, KIND_SERVING_RUNTIME } from "../../apis/serving/group.js";
import type { ServingRuntimeSpec } from "../../apis/serving/v1alpha1/serving-runtime.js";
import type { Informer } from "../../controller-runtime/informer.js";
import { byNamespace, NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import type { ControllerContext } from "../context/context.js";
import { scopedInformer } from "./scoped-informer.js";

/** A runtime as cached: the spec is whatever the API server accepted (the CRD schema), not re-validated here. */
export interface RuntimeObject extends KubernetesObject {
  spec?: ServingRuntimeSpec;
}

export interface EffectiveRuntime {
  kind: typeof KIND_SERVING_RUNTIME | typeof KIND_CLUSTER_SERVING_RUNTIME;
  object: RuntimeObject;
}

export function isMultiModel(runtime: RuntimeObject): boolean {
  return runtime.spec?.multiModel === true;
}

export class RuntimeCaches {
  readonly servingRuntimes: Informer<RuntimeObject>;
  /** Undefined when ClusterServingRuntimes are not reconciled (feature off, namespace scope). */
  readonly clusterServingRuntimes: Informer<RuntimeObject> | undefined;

  constructor(ctx: Pick<ControllerContext, "manager" | "scope" | "controllerNamespace" | "features">) {
    this.servingRuntimes = scopedInformer<RuntimeObject>(ctx, SERVING_RUNTIMES, {
      indexers: { [NAMESPACE_INDEX]: byNamespace },
    });
    this.clusterServingRuntimes = ctx.features.clusterServingRuntimes
      ? scopedInformer<RuntimeObject>(ctx, CLUSTER_SERVING_RUNTIMES)
      : undefined;
  }

  /** The runtime named `name` as seen from `namespace`: its ServingRuntime, else the ClusterServingRuntime. */
  effective(namespace: string, name: string): EffectiveRuntime | undefined {
    const servingRuntime = this.servingRuntimes.store.getByName(name, namespace);
    if (servingRuntime !== undefined) return { kind: KIND_SERVING_RUNTIME, object: servingRuntime };
    const clusterRuntime = this.clusterServingRuntimes?.store.getByName(name);
    if (clusterRuntime !== undefined) return { kind: KIND_CLUSTER_SERVING_RUNTIME, object: clusterRuntime };
    return undefined;
  }

  /** Every runtime of the namespace by name: multi-model ClusterServingRuntimes, then all its ServingRuntimes. */
  ofNamespace(namespace: string): Map<string, EffectiveRuntime> {
    const runtimes = new Map<string, EffectiveRuntime>();
    for (const object of this.clusterServingRuntimes?.store.list() ?? []) {
      if (isMultiModel(object))
        runtimes.set(object.metadata?.name ?? "", { kind: KIND_CLUSTER_SERVING_RUNTIME, object });
    }
    for (const object of this.servingRuntimes.store.byIndex(NAMESPACE_INDEX, namespace)) {
      runtimes.set(object.metadata?.name ?? "", { kind: KIND_SERVING_RUNTIME, object });
    }
    return runtimes;
  }

  /** Runtime specs by name for the namespace's `tc-config` (upstream's `srSpecs`). */
  specsOfNamespace(namespace: string): Map<string, ServingRuntimeSpec> {
    const specs = new Map<string, ServingRuntimeSpec>();
    for (const [name, runtime] of this.ofNamespace(namespace))
      specs.set(name, runtime.object.spec ?? { containers: [] });
    return specs;
  }

  /** Names of every ClusterServingRuntime (reconciled once per served namespace). */
  clusterRuntimeNames(): string[] {
    return (this.clusterServingRuntimes?.store.list() ?? []).map((runtime) => runtime.metadata?.name ?? "");
  }
}
