/**
 * Where each kind the controller reads or writes lives in the API: one table of group/version, kind and plural
 * that every layer imports (the REST client builds its paths from it, without discovery).
 */
import {
  KIND_CLUSTER_SERVING_RUNTIME,
  KIND_INFERENCE_SERVICE,
  KIND_PREDICTOR,
  KIND_SERVING_RUNTIME,
  PLURAL_CLUSTER_SERVING_RUNTIMES,
  PLURAL_INFERENCE_SERVICES,
  PLURAL_PREDICTORS,
  PLURAL_SERVING_RUNTIMES,
  SERVING_V1ALPHA1,
  SERVING_V1BETA1,
} from "./serving/group.js";

/** Where a kind lives in the API: enough to build its REST paths without discovery. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  /** Lower-case plural resource name, as in the URL (`configmaps`, `inferenceservices`). */
  plural: string;
  namespaced: boolean;
}

/** The Prometheus Operator's API, optional in a cluster (probed at start-up). */
export const SERVICE_MONITOR_API_VERSION = "monitoring.coreos.com/v1";

export const NAMESPACES: ResourceType = {
  apiVersion: "v1",
  kind: "Namespace",
  plural: "namespaces",
  namespaced: false,
};
export const CONFIG_MAPS: ResourceType = {
  apiVersion: "v1",
  kind: "ConfigMap",
  plural: "configmaps",
  namespaced: true,
};
export const SECRETS: ResourceType = {
  apiVersion: "v1",
  kind: "Secret",
  plural: "secrets",
  namespaced: true,
};
export const SERVICES: ResourceType = {
  apiVersion: "v1",
  kind: "Service",
  plural: "services",
  namespaced: true,
};
export const PODS: ResourceType = {
  apiVersion: "v1",
  kind: "Pod",
  plural: "pods",
  namespaced: true,
};
export const PERSISTENT_VOLUME_CLAIMS: ResourceType = {
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  plural: "persistentvolumeclaims",
  namespaced: true,
};
export const CORE_EVENTS: ResourceType = {
  apiVersion: "v1",
  kind: "Event",
  plural: "events",
  namespaced: true,
};
export const DEPLOYMENTS: ResourceType = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  plural: "deployments",
  namespaced: true,
};
export const ENDPOINT_SLICES: ResourceType = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  plural: "endpointslices",
  namespaced: true,
};
export const LEASES: ResourceType = {
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  plural: "leases",
  namespaced: true,
};
export const HORIZONTAL_POD_AUTOSCALERS: ResourceType = {
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  plural: "horizontalpodautoscalers",
  namespaced: true,
};
export const SERVICE_MONITORS: ResourceType = {
  apiVersion: SERVICE_MONITOR_API_VERSION,
  kind: "ServiceMonitor",
  plural: "servicemonitors",
  namespaced: true,
};
export const SERVING_RUNTIMES: ResourceType = {
  apiVersion: SERVING_V1ALPHA1,
  kind: KIND_SERVING_RUNTIME,
  plural: PLURAL_SERVING_RUNTIMES,
  namespaced: true,
};
export const CLUSTER_SERVING_RUNTIMES: ResourceType = {
  apiVersion: SERVING_V1ALPHA1,
  kind: KIND_CLUSTER_SERVING_RUNTIME,
  plural: PLURAL_CLUSTER_SERVING_RUNTIMES,
  namespaced: false,
};
export const PREDICTORS: ResourceType = {
  apiVersion: SERVING_V1ALPHA1,
  kind: KIND_PREDICTOR,
  plural: PLURAL_PREDICTORS,
  namespaced: true,
};
export const INFERENCE_SERVICES: ResourceType = {
  apiVersion: SERVING_V1BETA1,
  kind: KIND_INFERENCE_SERVICE,
  plural: PLURAL_INFERENCE_SERVICES,
  namespaced: true,
};
