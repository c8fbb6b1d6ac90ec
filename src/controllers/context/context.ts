import type { KubernetesObject } from "@kubernetes/client-node";
import type { ServingConfig } from "../../config/serving-config.js";
import type { Manager } from "../../controller-runtime/manager.js";

/** Cluster scope serves labelled namespaces plus the controller's own; namespace scope only its own. */
export type Scope = "cluster" | "namespace";

/** The live user configuration (`model-serving-config` layered over the defaults). */
export interface ConfigSource {
  current(): ServingConfig;
  /** Called after every accepted change (an invalid ConfigMap keeps the last good config and calls nothing). */
  onChange(listener: (config: ServingConfig, previous: ServingConfig) => void): void;
}

/** Which namespaces ModelMesh serves right now (upstream's `modelMeshEnabled2`). */
export interface ServedNamespaces {
  isServed(namespace: string): boolean;
  list(): readonly string[];
  /** Called when a namespace starts or stops being served. */
  onChange(listener: (namespace: string, served: boolean) => void): void;
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
