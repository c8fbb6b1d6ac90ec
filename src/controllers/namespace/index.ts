/** Wires the namespace reconciler to the events that change what a namespace needs. */
import type { KubernetesObject, V1Secret, V1Service } from "@kubernetes/client-node";
import { CONFIG_MAPS, SERVICE_MONITORS, SERVICES } from "../../apis/resource-types.js";
import { LABELS } from "../../builders/constants.js";
import { Controller } from "../../controller-runtime/controller.js";
import { byNamespace, NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import { namedSecrets } from "../caches/named-secrets.js";
import type { RuntimeCaches } from "../caches/runtime-caches.js";
import { scopedInformer } from "../caches/scoped-informer.js";
import type { ControllerContext } from "../context/context.js";
import { namespaceInformer } from "../context/served-namespaces.js";
import { NamespaceReconciler } from "./reconciler.js";

export const NAMESPACE_CONTROLLER_NAME = "ServiceReconciler";

const MANAGED_BY_CONTROLLER = `${LABELS.managedBy}=${LABELS.controllerName}`;

const namespaceOf = (object: KubernetesObject): string[] => [object.metadata?.namespace ?? ""];

export function setupNamespaceController(
  ctx: ControllerContext,
  runtimes: RuntimeCaches,
  options: { workers?: number } = {},
): Controller {
  const { manager } = ctx;
  const namespaces = ctx.scope === "cluster" ? namespaceInformer(manager) : undefined;
  const services = scopedInformer<V1Service>(ctx, SERVICES, {
    labelSelector: LABELS.modelMeshService,
    indexers: { [NAMESPACE_INDEX]: byNamespace },
  });
  const managedConfigMaps = scopedInformer<KubernetesObject>(ctx, CONFIG_MAPS, {
    labelSelector: MANAGED_BY_CONTROLLER,
  });
  // The etcd Secret in the controller namespace, and its copies in the other served namespaces.
  const secrets = namedSecrets(ctx);
  secrets.want(() =>
    ctx.servedNamespaces
      .list()
      .concat(ctx.controllerNamespace)
      .map((namespace) => ({ namespace, name: ctx.etcdSecretName() })),
  );

  const controller = new Controller({
    name: NAMESPACE_CONTROLLER_NAME,
    reconciler: new NamespaceReconciler(ctx, {
      namespaces,
      services,
      managedConfigMaps,
      secrets,
      runtimes,
    }),
    workers: options.workers,
    metrics: manager.metrics,
    loggerName: "controllers.Service",
  });
  const allServed = () => ctx.servedNamespaces.list();

  if (namespaces !== undefined) controller.watch(namespaces);
  else controller.enqueue(ctx.controllerNamespace);
  controller.watch(services, namespaceOf);
  controller.watch(managedConfigMaps, namespaceOf);
  const onSecret = (secret: V1Secret) => {
    if (secret.metadata?.name !== ctx.etcdSecretName()) return;
    const namespace = secret.metadata.namespace ?? "";
    for (const key of namespace === ctx.controllerNamespace ? allServed() : [namespace])
      controller.enqueue(key);
  };
  secrets.addEventHandler({
    onAdd: onSecret,
    onUpdate: (_before, after) => onSecret(after),
    onDelete: onSecret,
  });
  controller.watch(runtimes.servingRuntimes, namespaceOf);
  if (runtimes.clusterServingRuntimes !== undefined)
    controller.watch(runtimes.clusterServingRuntimes, allServed);
  if (ctx.features.serviceMonitors) {
    const monitors = scopedInformer<KubernetesObject>(ctx, SERVICE_MONITORS, {
      labelSelector: LABELS.modelMeshService,
    });
    controller.watch(monitors, namespaceOf);
  }
  ctx.config.onChange(() => {
    for (const namespace of allServed()) controller.enqueue(namespace);
  });
  manager.addController(controller);
  return controller;
}
