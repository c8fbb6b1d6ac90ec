/** Wires the namespace reconciler to the events that change what a namespace needs. */
import type { KubernetesObject, V1Secret, V1Service } from "@kubernetes/client-node";
import { CONFIG_MAPS, SERVICE_MONITORS, SERVICES } from "../../apis/resource-types.js";
import { LABELS } from "../../builders/constants.js";
import { type ControllerBuilder, controllerFor } from "../../controller-runtime/builder.js";
import type { Controller } from "../../controller-runtime/controller.js";
import { byNamespace, NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import { namedSecrets } from "../caches/named-secrets.js";
import type { RuntimeCaches } from "../caches/runtime-caches.js";
import { scopedInformer } from "../caches/scoped-informer.js";
import type { ControllerContext } from "../context/context.js";
import { namespaceInformer } from "../context/served-namespaces.js";
import { CONTROLLER_NAMES } from "../names.js";
import { NamespaceReconciler } from "./reconciler.js";

const MANAGED_BY_CONTROLLER = `${LABELS.managedBy}=${LABELS.controllerName}`;

const namespaceOf = (object: KubernetesObject): string[] => [object.metadata?.namespace ?? ""];

/**
 * The namespaces an etcd Secret event concerns: a change of the controller namespace's Secret (the source)
 * concerns every served namespace, a copy only its own.
 */
export function etcdSecretKeys(
  secret: V1Secret,
  etcdSecretName: string,
  controllerNamespace: string,
  served: () => readonly string[],
): readonly string[] {
  if (secret.metadata?.name !== etcdSecretName) return [];
  const namespace = secret.metadata.namespace ?? "";
  return namespace === controllerNamespace ? served() : [namespace];
}

export function setupNamespaceController(
  ctx: ControllerContext,
  runtimes: RuntimeCaches,
  options: { workers?: number } = {},
): Controller {
  const namespaces = ctx.scope === "cluster" ? namespaceInformer(ctx.manager) : undefined;
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
  const allServed = () => ctx.servedNamespaces.list();

  const builder: ControllerBuilder = controllerFor(ctx.manager, CONTROLLER_NAMES.namespace)
    .reconciler(new NamespaceReconciler(ctx, { namespaces, services, managedConfigMaps, secrets, runtimes }))
    .workers(options.workers);
  // Cluster scope reconciles every Namespace; namespace scope only its own, which never changes.
  if (namespaces !== undefined) builder.for(namespaces);
  else builder.seed(ctx.controllerNamespace);
  builder
    .watches(services, namespaceOf)
    .watches(managedConfigMaps, namespaceOf)
    .watches(
      secrets,
      (secret) => etcdSecretKeys(secret, ctx.etcdSecretName(), ctx.controllerNamespace, allServed),
      { initialPriority: "high", onUpdate: "new" },
    )
    .watches(runtimes.servingRuntimes, namespaceOf);
  if (runtimes.clusterServingRuntimes !== undefined)
    builder.watches(runtimes.clusterServingRuntimes, allServed);
  if (ctx.features.serviceMonitors) {
    const monitors = scopedInformer<KubernetesObject>(ctx, SERVICE_MONITORS, {
      labelSelector: LABELS.modelMeshService,
    });
    builder.watches(monitors, namespaceOf);
  }
  builder.watchesChanges(ctx.config, allServed);
  return builder.build();
}
