/**
 * The per-namespace Service `modelmesh-serving` in front of every runtime pod (upstream's
 * `controllers/service_controller.go reconcileService`).
 */
import type { V1OwnerReference, V1Service, V1ServicePort } from "@kubernetes/client-node";
import type { ServingConfig } from "../config/serving-config.js";
import { controllerLabels, LABELS, PORT_NAMES } from "./constants.js";

export function modelMeshServiceLabels(config: ServingConfig): Record<string, string> {
  return { [LABELS.modelMeshService]: config.inferenceServiceName, ...controllerLabels() };
}

/**
 * `owner` is the controller Deployment (namespace scope) or the Namespace (cluster scope); none when it is not
 * found (a controller outside the cluster). Headless by default, so clients balance over the pods themselves.
 */
export function buildModelMeshService(
  namespace: string,
  config: ServingConfig,
  owner: V1OwnerReference | undefined,
): V1Service {
  const ports: V1ServicePort[] = [
    {
      name: PORT_NAMES.grpc,
      port: config.inferenceServicePort,
      protocol: "TCP",
      targetPort: PORT_NAMES.grpc,
    },
  ];
  if (config.restProxy.enabled) {
    ports.push({
      name: PORT_NAMES.http,
      port: config.restProxy.port,
      protocol: "TCP",
      targetPort: PORT_NAMES.http,
    });
  }
  if (config.metrics.enabled) {
    ports.push({
      name: PORT_NAMES.prometheus,
      port: config.metrics.port,
      protocol: "TCP",
      targetPort: PORT_NAMES.prometheus,
    });
  }
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: config.inferenceServiceName,
      namespace,
      labels: modelMeshServiceLabels(config),
      ...(owner !== undefined && { ownerReferences: [{ ...owner }] }),
    },
    spec: {
      ...(config.headlessService ? { clusterIP: "None" } : {}),
      selector: { [LABELS.modelMeshService]: config.inferenceServiceName },
      ports,
    },
  };
}
