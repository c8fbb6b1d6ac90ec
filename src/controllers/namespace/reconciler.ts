/**
 * Per served namespace: the `modelmesh-serving` Service (and no other `modelmesh-service` Service), the
 * ServiceMonitor, `tc-config` and the etcd Secret copy. A namespace that stops being served loses them all.
 */

import type {
  KubernetesObject,
  V1Deployment,
  V1Namespace,
  V1OwnerReference,
  V1Service,
} from "@kubernetes/client-node";
import { CONFIG_MAPS, DEPLOYMENTS, SECRETS, SERVICE_MONITORS, SERVICES } from "../../apis/resource-types.js";
import { LABELS, OBJECTS } from "../../builders/constants.js";
import { buildNamespaceEtcdSecret } from "../../builders/etcd-secret.js";
import { controllerReference } from "../../builders/owner-reference.js";
import { buildModelMeshService } from "../../builders/service.js";
import { buildServiceMonitor, wantsServiceMonitor } from "../../builders/service-monitor.js";
import { buildTypeConstraintsConfigMap } from "../../builders/type-constraints.js";
import type { ServingConfig } from "../../config/serving-config.js";
import { applyOwned } from "../../controller-runtime/apply.js";
import { applyIfChanged } from "../../controller-runtime/apply-change.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../../controller-runtime/controller.js";
import type { Informer } from "../../controller-runtime/informer.js";
import type { Logger } from "../../controller-runtime/logging.js";
import { NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import { fail } from "../../lib/result.js";
import type { NamedSecrets } from "../caches/named-secrets.js";
import type { RuntimeCaches } from "../caches/runtime-caches.js";
import type { ControllerContext } from "../context/context.js";

export const REASON_SERVICE_RECREATED = "ServiceRecreated";
export const REASON_ETCD_SECRET_INVALID = "EtcdSecretInvalid";

export interface NamespaceCaches {
  /** Cluster scope only. */
  namespaces: Informer<V1Namespace> | undefined;
  /** Services labelled `modelmesh-service`, indexed by namespace. */
  services: Informer<V1Service>;
  /** ConfigMaps the controller manages (label `app.kubernetes.io/managed-by`), by namespace. */
  managedConfigMaps: Informer<KubernetesObject>;
  /** The etcd Secret of the controller namespace (the source) and of the other served namespaces (copies). */
  secrets: NamedSecrets;
  runtimes: RuntimeCaches;
}

/**
 * What the namespace's Service needs: `create` when there is none, `recreate` when it must switch between
 * headless and not (clusterIP is immutable), else `apply` (only what would change).
 */
export function serviceAction(
  existing: V1Service | undefined,
  headlessService: boolean,
): "create" | "recreate" | "apply" {
  if (existing === undefined) return "create";
  return (existing.spec?.clusterIP === "None") !== headlessService ? "recreate" : "apply";
}

/** The `modelmesh-service` Services of the namespace that are not `name` (left by a former service name). */
export function otherServices(services: readonly V1Service[], name: string): string[] {
  return services.map((service) => service.metadata?.name ?? "").filter((other) => other !== name);
}

export class NamespaceReconciler implements Reconciler {
  readonly #ctx: ControllerContext;
  readonly #caches: NamespaceCaches;

  constructor(ctx: ControllerContext, caches: NamespaceCaches) {
    this.#ctx = ctx;
    this.#caches = caches;
  }

  async reconcile(namespace: string, { log }: ReconcileContext): Promise<ReconcileResult | undefined> {
    if (!this.#ctx.servedNamespaces.isServed(namespace)) {
      await this.#removeEverything(namespace, log);
      return undefined;
    }
    const config = this.#ctx.config.current();
    const service = await this.#reconcileService(namespace, config, log);
    await this.#reconcileServiceMonitor(namespace, config, service);
    await this.#reconcileRuntimeSupport(namespace, config);
    return undefined;
  }

  /** The one `modelmesh-service` Service of the namespace, as it is afterwards. */
  async #reconcileService(namespace: string, config: ServingConfig, log: Logger): Promise<V1Service> {
    const client = this.#ctx.manager.client;
    const name = config.inferenceServiceName;
    const desired = buildModelMeshService(namespace, config, await this.#serviceOwner(namespace));
    const existing = this.#caches.services.store.getByName(name, namespace);
    const action = serviceAction(existing, config.headlessService);
    if (existing !== undefined && action === "recreate") {
      log.info(
        { headless: config.headlessService },
        "Deleting/recreating Service because headlessness changed",
      );
      await client.delete(SERVICES, name, namespace);
      this.#ctx.events.record(
        existing,
        "Normal",
        REASON_SERVICE_RECREATED,
        `Recreating Service ${name}: headlessService changed to ${config.headlessService}`,
      );
    }
    const live = action === "apply" ? existing : undefined;
    const { object: service } = await applyIfChanged(client, SERVICES, desired, live);
    if (action === "create") log.info({ service: name }, "Created Kube Service");
    const services = this.#caches.services.store.byIndex(NAMESPACE_INDEX, namespace);
    for (const other of otherServices(services, name)) {
      log.info({ service: other }, "deleting a modelmesh-service Service of another name");
      await client.delete(SERVICES, other, namespace);
    }
    return service;
  }

  /** Owned by the Service, so that it goes with it. */
  async #reconcileServiceMonitor(
    namespace: string,
    config: ServingConfig,
    service: V1Service,
  ): Promise<void> {
    if (!this.#ctx.features.serviceMonitors) return;
    const client = this.#ctx.manager.client;
    if (!wantsServiceMonitor(config)) {
      await client.delete(SERVICE_MONITORS, OBJECTS.serviceMonitor, namespace);
      return;
    }
    const serviceOwner = controllerReference({
      apiVersion: "v1",
      kind: "Service",
      name: service.metadata?.name ?? config.inferenceServiceName,
      uid: service.metadata?.uid ?? "",
    });
    await applyOwned(client, SERVICE_MONITORS, buildServiceMonitor(namespace, config, serviceOwner));
  }

  /** `tc-config` and the etcd Secret copy while the namespace has a runtime; neither once it has none. */
  async #reconcileRuntimeSupport(namespace: string, config: ServingConfig): Promise<void> {
    const specs = this.#caches.runtimes.specsOfNamespace(namespace);
    if (specs.size === 0) {
      await this.#removeRuntimeSupport(namespace);
      return;
    }
    const typeConstraints = buildTypeConstraintsConfigMap(namespace, specs, config.restProxy.enabled);
    const liveTypeConstraints = this.#caches.managedConfigMaps.store.getByName(
      OBJECTS.typeConstraintsConfigMap,
      namespace,
    );
    await applyIfChanged(this.#ctx.manager.client, CONFIG_MAPS, typeConstraints, liveTypeConstraints);
    if (namespace !== this.#ctx.controllerNamespace) await this.#copyEtcdSecret(namespace);
  }

  /** The Namespace (cluster scope) or the controller's Deployment (namespace scope); none if it is missing. */
  async #serviceOwner(namespace: string): Promise<V1OwnerReference | undefined> {
    if (this.#ctx.scope === "cluster") {
      const object = this.#caches.namespaces?.store.getByName(namespace);
      if (object?.metadata?.uid === undefined) return undefined;
      return controllerReference({
        apiVersion: "v1",
        kind: "Namespace",
        name: namespace,
        uid: object.metadata.uid,
      });
    }
    // Outside the cluster (a developer's machine) there is no such Deployment: the Service then has no owner.
    const deployment = await this.#ctx.manager.client.get<V1Deployment>(
      DEPLOYMENTS,
      this.#ctx.controllerDeploymentName,
      this.#ctx.controllerNamespace,
    );
    if (deployment?.metadata?.uid === undefined) return undefined;
    return controllerReference({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: this.#ctx.controllerDeploymentName,
      uid: deployment.metadata.uid,
    });
  }

  async #copyEtcdSecret(namespace: string): Promise<void> {
    const secretName = this.#ctx.etcdSecretName();
    const source = await this.#caches.secrets.get(this.#ctx.controllerNamespace, secretName);
    const copy =
      source === undefined
        ? fail(
            `Could not get the controller etcd secret: Secret ${this.#ctx.controllerNamespace}/${secretName} not found`,
          )
        : buildNamespaceEtcdSecret(source.data, secretName, namespace);
    if (!copy.ok) {
      const message = `cannot copy the etcd Secret ${secretName} into namespace ${namespace}: ${copy.error}`;
      this.#ctx.events.record(namespaceObject(namespace), "Warning", REASON_ETCD_SECRET_INVALID, message);
      throw new Error(message);
    }
    const live = await this.#caches.secrets.get(namespace, secretName);
    await applyIfChanged(this.#ctx.manager.client, SECRETS, copy.value, live);
  }

  /** No runtime left in the namespace: its `tc-config` and etcd Secret copy go. */
  async #removeRuntimeSupport(namespace: string): Promise<void> {
    const client = this.#ctx.manager.client;
    if (
      this.#caches.managedConfigMaps.store.getByName(OBJECTS.typeConstraintsConfigMap, namespace) !==
      undefined
    )
      await client.delete(CONFIG_MAPS, OBJECTS.typeConstraintsConfigMap, namespace);
    if (namespace === this.#ctx.controllerNamespace) return;
    const secretName = this.#ctx.etcdSecretName();
    // A namespace no longer served is no longer read: its copy is known from the cache's last state.
    const copy = this.#caches.secrets.peek(namespace, secretName);
    if (copy?.metadata?.labels?.[LABELS.managedBy] === LABELS.controllerName)
      await client.delete(SECRETS, secretName, namespace);
    if (!this.#ctx.servedNamespaces.isServed(namespace)) this.#caches.secrets.forget(namespace, secretName);
  }

  async #removeEverything(namespace: string, log: ReconcileContext["log"]): Promise<void> {
    const client = this.#ctx.manager.client;
    const services = this.#caches.services.store.byIndex(NAMESPACE_INDEX, namespace);
    for (const service of services) await client.delete(SERVICES, service.metadata?.name ?? "", namespace);
    if (this.#ctx.features.serviceMonitors && services.length > 0)
      await client.delete(SERVICE_MONITORS, OBJECTS.serviceMonitor, namespace);
    await this.#removeRuntimeSupport(namespace);
    if (services.length > 0) log.info("namespace not served: removed its modelmesh objects");
  }
}

function namespaceObject(name: string): KubernetesObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}
