/**
 * The ServingRuntimes and ClusterServingRuntimes a namespace sees, read from the shared caches: a
 * ClusterServingRuntime applies to every served namespace unless a ServingRuntime of the same name hides it.
 */
import { CLUSTER_SERVING_RUNTIMES, SERVING_RUNTIMES } from "../../apis/resource-types.js";
import type { ServingRuntimeSpec } from "../../apis/serving/v1alpha1/serving-runtime.js";
import {
  type EffectiveRuntime,
  effectiveRuntime,
  effectiveRuntimes,
  type RuntimeObject,
  runtimeSpecs,
} from "../../builders/effective-runtimes.js";
import type { Informer } from "../../controller-runtime/informer.js";
import { byNamespace, NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import type { ControllerContext } from "../context/context.js";
import { scopedInformer } from "./scoped-informer.js";

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
    return effectiveRuntime(
      this.servingRuntimes.store.getByName(name, namespace),
      this.clusterServingRuntimes?.store.getByName(name),
    );
  }

  /** Every runtime of the namespace by name: multi-model ClusterServingRuntimes, then all its ServingRuntimes. */
  ofNamespace(namespace: string): Map<string, EffectiveRuntime> {
    return effectiveRuntimes(
      this.clusterServingRuntimes?.store.list() ?? [],
      this.servingRuntimes.store.byIndex(NAMESPACE_INDEX, namespace),
    );
  }

  /** Runtime specs by name for the namespace's `tc-config` (upstream's `srSpecs`). */
  specsOfNamespace(namespace: string): Map<string, ServingRuntimeSpec> {
    return runtimeSpecs(this.ofNamespace(namespace));
  }

  /** Names of every ClusterServingRuntime (reconciled once per served namespace). */
  clusterRuntimeNames(): string[] {
    return (this.clusterServingRuntimes?.store.list() ?? []).map((runtime) => runtime.metadata?.name ?? "");
  }
}
