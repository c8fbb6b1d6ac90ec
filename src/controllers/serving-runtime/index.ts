/** Wires the serving-runtime reconciler to runtimes, models, Deployments, storage Secrets, config and namespaces. */

import type { V1Deployment, V1Secret } from "@kubernetes/client-node";
import { DEPLOYMENTS } from "../../apis/resource-types.js";
import { KIND_CLUSTER_SERVING_RUNTIME, KIND_SERVING_RUNTIME } from "../../apis/serving/group.js";
import { LABELS } from "../../builders/constants.js";
import { isMultiModel } from "../../builders/effective-runtimes.js";
import type { ModelDemand } from "../../builders/model-type-labels.js";
import { runtimeLabelSet, runtimeServes } from "../../builders/model-type-labels.js";
import { Controller } from "../../controller-runtime/controller.js";
import { createLogger } from "../../controller-runtime/logging.js";
import { byNamespace, NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import { namedSecrets } from "../caches/named-secrets.js";
import type { RuntimeCaches } from "../caches/runtime-caches.js";
import { scopedInformer } from "../caches/scoped-informer.js";
import type { ControllerContext } from "../context/context.js";
import { ModelCaches } from "./models.js";
import { ServingRuntimeReconciler } from "./reconciler.js";

export const SERVING_RUNTIME_CONTROLLER_NAME = "ServingRuntimeReconciler";

const log = createLogger("controllers.ServingRuntime");

export interface ServingRuntimeSetup {
  controller: Controller;
  models: ModelCaches;
}

export function setupServingRuntimeController(
  ctx: ControllerContext,
  runtimes: RuntimeCaches,
  options: { workers?: number; now?: () => number } = {},
): ServingRuntimeSetup {
  const { manager } = ctx;
  const models = new ModelCaches(ctx);
  const deployments = scopedInformer<V1Deployment>(ctx, DEPLOYMENTS, {
    labelSelector: `${LABELS.managedBy}=${LABELS.controllerName}`,
    indexers: { [NAMESPACE_INDEX]: byNamespace },
  });
  // The storage Secret of each served namespace, by its configured name (followed live).
  const storageSecrets = namedSecrets(ctx);
  storageSecrets.want(() => {
    const name = ctx.config.current().storageSecretName;
    return ctx.servedNamespaces.list().map((namespace) => ({ namespace, name }));
  });
  const controller = new Controller({
    name: SERVING_RUNTIME_CONTROLLER_NAME,
    reconciler: new ServingRuntimeReconciler(
      ctx,
      { runtimes, models, deployments, storageSecrets },
      options.now,
    ),
    workers: options.workers,
    metrics: manager.metrics,
    loggerName: "controllers.ServingRuntime",
  });

  /** Every runtime a namespace sees: its ServingRuntimes and every ClusterServingRuntime. */
  const keysOfNamespace = (namespace: string): string[] => {
    const names = new Set([...runtimes.ofNamespace(namespace).keys(), ...runtimes.clusterRuntimeNames()]);
    return [...names].map((name) => `${namespace}/${name}`);
  };
  /** The multi-model runtimes of the model's namespace that can serve it. */
  const keysServing = (namespace: string, demand: ModelDemand | undefined): string[] => {
    if (demand === undefined || namespace === "") return [];
    const restProxy = ctx.config.current().restProxy.enabled;
    const keys: string[] = [];
    for (const [name, runtime] of runtimes.ofNamespace(namespace)) {
      if (!isMultiModel(runtime.object)) continue;
      if (runtimeServes(runtimeLabelSet(name, runtime.object.spec ?? {}, restProxy), demand))
        keys.push(`${namespace}/${name}`);
    }
    if (keys.length === 0)
      log.debug({ namespace, typeLabel: demand.typeLabel }, "No runtime found to support predictor");
    return keys;
  };
  const allKeys = (): string[] => ctx.servedNamespaces.list().flatMap(keysOfNamespace);

  controller.watch(runtimes.servingRuntimes);
  if (runtimes.clusterServingRuntimes !== undefined) {
    controller.watch(runtimes.clusterServingRuntimes, (runtime) =>
      ctx.servedNamespaces.list().map((namespace) => `${namespace}/${runtime.metadata?.name ?? ""}`),
    );
  }
  // A demand appearing in or leaving a namespace changes its runtimes; other model events do not.
  models.demands.onChange((namespace, demand, inInitialList) => {
    for (const key of keysServing(namespace, demand)) controller.enqueue(key, inInitialList ? "low" : "high");
  });
  controller.watch(deployments, (deployment) => {
    const owner = deployment.metadata?.ownerReferences?.find((reference) => reference.controller === true);
    if (
      owner === undefined ||
      (owner.kind !== KIND_SERVING_RUNTIME && owner.kind !== KIND_CLUSTER_SERVING_RUNTIME)
    )
      return [];
    return [`${deployment.metadata?.namespace ?? ""}/${owner.name}`];
  });
  const onStorageSecret = (secret: V1Secret) => {
    if (secret.metadata?.name !== ctx.config.current().storageSecretName) return;
    for (const key of keysOfNamespace(secret.metadata.namespace ?? "")) controller.enqueue(key);
  };
  storageSecrets.addEventHandler({
    onAdd: onStorageSecret,
    onUpdate: (_before, after) => onStorageSecret(after),
    onDelete: onStorageSecret,
  });
  ctx.servedNamespaces.onChange((namespace) => {
    for (const key of keysOfNamespace(namespace)) controller.enqueue(key);
  });
  ctx.config.onChange(() => {
    for (const key of allKeys()) controller.enqueue(key);
  });
  manager.addController(controller);
  return { controller, models };
}
