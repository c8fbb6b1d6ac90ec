/**
 * What every controller of the process shares: manager, scope, live config, served namespaces, Events,
 * features.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ServingConfig } from "../../config/serving-config.js";
import type { ChangeSource } from "../../controller-runtime/controller.js";
import type { Manager } from "../../controller-runtime/manager.js";

/** Cluster scope serves labelled namespaces plus the controller's own; namespace scope only its own. */
export type Scope = "cluster" | "namespace";

/**
 * The live user configuration (`model-serving-config` layered over the defaults); a change is reported after
 * every accepted one (an invalid ConfigMap keeps the last good config and reports nothing).
 */
export interface ConfigSource extends ChangeSource<ServingConfig> {
  current(): ServingConfig;
}

/** A namespace that started or stopped being served. */
export interface ServedChange {
  readonly namespace: string;
  readonly served: boolean;
}

/** Which namespaces ModelMesh serves right now (upstream's `modelMeshEnabled2`), and when that changes. */
export interface ServedNamespaces extends ChangeSource<ServedChange> {
  isServed(namespace: string): boolean;
  list(): readonly string[];
}

export type EventType = "Normal" | "Warning";

/** Kubernetes Events on the objects users look at (upstream emitted none). */
export interface EventRecorder {
  record(object: KubernetesObject, type: EventType, reason: string, message: string): void;
}

/** Optional APIs, probed once at start-up (as upstream's ENABLE_*_WATCH and CRD probes). */
export interface Features {
  inferenceServices: boolean;
  clusterServingRuntimes: boolean;
  serviceMonitors: boolean;
}

/** What every controller of this process shares. */
export interface ControllerContext {
  manager: Manager;
  scope: Scope;
  controllerNamespace: string;
  /** Name of the controller's own Deployment (owner of the Service in namespace scope). */
  controllerDeploymentName: string;
  /** Secret with ModelMesh's etcd connection in the controller namespace (env `ETCD_SECRET_NAME`). */
  etcdSecretName(): string;
  config: ConfigSource;
  servedNamespaces: ServedNamespaces;
  events: EventRecorder;
  features: Features;
}
