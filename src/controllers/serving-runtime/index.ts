/** Wires the serving-runtime reconciler to runtimes, models, Deployments, storage Secrets, config and namespaces. */
import type { V1Deployment, V1Secret } from "@kubernetes/client-node";
import { DEPLOYMENTS } from "../../apis/resource-types.js";
import { KIND_CLUSTER_SERVING_RUNTIME, KIND_SERVING_RUNTIME } from "../../apis/serving/group.js";
import { LABELS } from "../../builders/constants.js";
import { controllerFor, controllerOwnerKey } from "../../controller-runtime/builder.js";
import type { Controller } from "../../controller-runtime/controller.js";
import { createLogger } from "../../controller-runtime/logging.js";
import { byNamespace, NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import { namedSecrets } from "../caches/named-secrets.js";
import type { RuntimeCaches } from "../caches/runtime-caches.js";
import { scopedInformer } from "../caches/scoped-informer.js";
import type { ControllerContext } from "../context/context.js";
import { CONTROLLER_NAMES } from "../names.js";
import type { DemandChange } from "./demand-index.js";
import { runtimeKeys } from "./keys.js";
import { ModelCaches } from "./models.js";
import { ServingRuntimeReconciler } from "./reconciler.js";

const log = createLogger(CONTROLLER_NAMES.servingRuntime.logger);

export interface ServingRuntimeSetup {
  controller: Controller;
  models: ModelCaches;
}

export function setupServingRuntimeController(
  ctx: ControllerContext,
  runtimes: RuntimeCaches,
  options: { workers?: number; now?: () => number } = {},
): ServingRuntimeSetup {
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
  const keys = runtimeKeys(
    runtimes,
    () => ctx.servedNamespaces.list(),
    () => ctx.config.current().restProxy.enabled,
  );
  /** A demand appearing in or leaving a namespace changes its runtimes; other model events do not. */
  const keysServing = ({ namespace, demand }: DemandChange): string[] => {
    const found = keys.serving(namespace, demand);
    if (found.length === 0 && namespace !== "")
      log.debug({ namespace, typeLabel: demand.typeLabel }, "No runtime found to support predictor");
    return found;
  };
  const ofStorageSecret = (secret: V1Secret): string[] =>
    secret.metadata?.name === ctx.config.current().storageSecretName
      ? keys.ofNamespace(secret.metadata.namespace ?? "")
      : [];

  const builder = controllerFor(ctx.manager, CONTROLLER_NAMES.servingRuntime)
    .reconciler(
      new ServingRuntimeReconciler(ctx, { runtimes, models, deployments, storageSecrets }, options.now),
    )
    .workers(options.workers)
    .for(runtimes.servingRuntimes);
  if (runtimes.clusterServingRuntimes !== undefined) {
    builder.watches(runtimes.clusterServingRuntimes, (runtime) =>
      ctx.servedNamespaces.list().map((namespace) => `${namespace}/${runtime.metadata?.name ?? ""}`),
    );
  }
  const controller = builder
    .watchesChanges(models.demands, keysServing, (change) => (change.inInitialList ? "low" : "high"))
    .watches(deployments, controllerOwnerKey([KIND_SERVING_RUNTIME, KIND_CLUSTER_SERVING_RUNTIME]))
    .watches(storageSecrets, ofStorageSecret, { initialPriority: "high", onUpdate: "new" })
    .watchesChanges(ctx.servedNamespaces, ({ namespace }) => keys.ofNamespace(namespace))
    .watchesChanges(ctx.config, () => keys.all())
    .build();
  return { controller, models };
}
