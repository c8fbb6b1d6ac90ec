/**
 * The Prometheus Operator ServiceMonitor scraping the runtime pods' metrics port (upstream's
 * `controllers/service_controller.go reconcileServiceMonitor`).
 */

import type { KubernetesObject, V1OwnerReference } from "@kubernetes/client-node";
import { SERVICE_MONITOR_API_VERSION } from "../apis/resource-types.js";
import type { ServingConfig } from "../config/serving-config.js";
import { LABELS, OBJECTS, PORT_NAMES } from "./constants.js";
import { modelMeshServiceLabels } from "./service.js";

export interface ServiceMonitor extends KubernetesObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: {
      interval: string;
      port: string;
      scheme: string;
      tlsConfig: { insecureSkipVerify: boolean };
    }[];
  };
}

/** Whether the namespace should have the ServiceMonitor (given that its CRD exists in the cluster). */
export function wantsServiceMonitor(config: ServingConfig): boolean {
  return config.metrics.enabled && !config.metrics.disablePrometheusOperatorSupport;
}

/** `serviceOwner` refers to the namespace's `modelmesh-serving` Service. */
export function buildServiceMonitor(
  namespace: string,
  config: ServingConfig,
  serviceOwner: V1OwnerReference,
): ServiceMonitor {
  return {
    apiVersion: SERVICE_MONITOR_API_VERSION,
    kind: "ServiceMonitor",
    metadata: {
      name: OBJECTS.serviceMonitor,
      namespace,
      labels: modelMeshServiceLabels(config),
      ownerReferences: [{ ...serviceOwner }],
    },
    spec: {
      selector: { matchLabels: { [LABELS.modelMeshService]: config.inferenceServiceName } },
      namespaceSelector: { matchNames: [namespace] },
      // The model-mesh metrics endpoint serves a self-signed certificate.
      endpoints: [
        {
          interval: "30s",
          port: PORT_NAMES.prometheus,
          scheme: config.metrics.scheme,
          tlsConfig: { insecureSkipVerify: true },
        },
      ],
    },
  };
}
