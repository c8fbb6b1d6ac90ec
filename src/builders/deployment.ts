/**
 * The Deployment of one multi-model runtime in one namespace (upstream's `controllers/modelmesh/modelmesh.go Deployment.Apply` over `config/internal/base/deployment.yaml.tmpl`), as a pure function of the runtime,
 * the configuration and the few facts the reconciler looks up (PVC names, the TLS secret's keys, replicas).
 */

import type {
  V1Container,
  V1Deployment,
  V1LocalObjectReference,
  V1ObjectMeta,
  V1OwnerReference,
} from "@kubernetes/client-node";
import {
  type KIND_CLUSTER_SERVING_RUNTIME,
  type KIND_SERVING_RUNTIME,
  SERVING_V1ALPHA1,
} from "../apis/serving/group.js";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import type { ServingConfig } from "../config/serving-config.js";
import { ok, type Result } from "../lib/result.js";
import { buildAdapterContainer } from "./adapter.js";
import { runtimeAffinity } from "./affinity.js";
import { controllerLabels, LABELS, MODEL_MESH, PATHS } from "./constants.js";
import { modelMeshSocketDirectory, parseRuntimeEndpoints } from "./endpoints.js";
import { buildModelMeshContainer } from "./mm-container.js";
import { compareStrings, runtimeLabelSet } from "./model-type-labels.js";
import { controllerReference } from "./owner-reference.js";
import { buildPullerContainer, usesPuller } from "./puller.js";
import { buildRestProxyContainer } from "./rest-proxy.js";
import { buildRuntimeContainers } from "./runtime-containers.js";
import type { TlsSettings } from "./tls.js";
import { modelsDirSizeLimit, podVolumes } from "./volumes.js";

export type RuntimeKind = typeof KIND_SERVING_RUNTIME | typeof KIND_CLUSTER_SERVING_RUNTIME;

/** A ServingRuntime, or a ClusterServingRuntime rendered into one namespace. */
export interface RuntimeInput {
  name: string;
  /** The namespace the Deployment goes to (a ClusterServingRuntime has none of its own). */
  namespace: string;
  kind: RuntimeKind;
  uid: string;
  spec: ServingRuntimeSpec;
  metadata?: Pick<V1ObjectMeta, "annotations" | "labels">;
}

export interface DeploymentContext {
  config: ServingConfig;
  /** Omitted from the Deployment when undefined, leaving the count to whoever else scales it. */
  replicas: number | undefined;
  /** PersistentVolumeClaims to mount (read-only, at `/pvc_mounts/<claim>`); sorted and de-duplicated here. */
  pvcNames: readonly string[];
  etcdSecretName: string;
  /** Whether the TLS secret in the runtime's namespace has `ca.crt` (read only when TLS is configured). */
  tlsSecretHasCaCrt: boolean;
}

export function deploymentName(config: ServingConfig, runtimeName: string): string {
  return `${config.inferenceServiceName}-${runtimeName}`;
}

export function runtimeOwnerReference(
  runtime: Pick<RuntimeInput, "name" | "kind" | "uid">,
): V1OwnerReference {
  return controllerReference({
    apiVersion: SERVING_V1ALPHA1,
    kind: runtime.kind,
    name: runtime.name,
    uid: runtime.uid,
  });
}

function tlsSettings(context: DeploymentContext): TlsSettings | undefined {
  const { secretName, clientAuth } = context.config.tls;
  if (secretName === "") return undefined;
  return { secretName, clientAuth: clientAuth.trim(), secretHasCaCrt: context.tlsSecretHasCaCrt };
}

/** Later maps win: template labels, then config `runtimePodLabels`, then the runtime's own `labels`. */
function mergeMaps(...maps: (Record<string, string> | undefined)[]): Record<string, string> {
  return Object.assign({}, ...maps.map((map) => map ?? {}));
}

function metricsAnnotations(config: ServingConfig): Record<string, string> {
  if (!config.metrics.enabled) return {};
  return {
    "prometheus.io/path": PATHS.metricsPath,
    "prometheus.io/port": String(config.metrics.port),
    "prometheus.io/scheme": config.metrics.scheme,
    "prometheus.io/scrape": "true",
  };
}

/** Config secrets first, then the runtime's; the first occurrence of a name wins. */
function imagePullSecrets(config: ServingConfig, spec: ServingRuntimeSpec): V1LocalObjectReference[] {
  const seen = new Set<string | undefined>();
  const result: V1LocalObjectReference[] = [];
  for (const secret of [...config.imagePullSecrets, ...(spec.imagePullSecrets ?? [])]) {
    if (seen.has(secret.name)) continue;
    seen.add(secret.name);
    result.push({ ...secret });
  }
  return result;
}

/**
 * Upstream builds `[mm, runtime containers..., adapter?, rest-proxy?]` and then swaps `mm` with the last
 * container instead of moving it; the order is kept so that switching controllers does not restart every pod.
 * `mm` must come last so that pulling the model server images does not eat into its startup timeout.
 */
export function orderContainers(modelMesh: V1Container, others: readonly V1Container[]): V1Container[] {
  const containers = [modelMesh, ...others];
  const last = containers.length - 1;
  [containers[0], containers[last]] = [containers[last] as V1Container, modelMesh];
  return containers;
}

export function buildRuntimeDeployment(
  runtime: RuntimeInput,
  context: DeploymentContext,
): Result<V1Deployment> {
  const { config } = context;
  const { spec } = runtime;
  const endpointsResult = parseRuntimeEndpoints(spec);
  if (!endpointsResult.ok) return endpointsResult;
  const endpoints = endpointsResult.value;
  const sizeLimit = modelsDirSizeLimit(spec.containers ?? []);
  if (!sizeLimit.ok) return sizeLimit;

  const pvcNames = [...new Set(context.pvcNames)].sort(compareStrings);
  const tls = tlsSettings(context);
  const withPuller = usesPuller(spec);
  const name = deploymentName(config, runtime.name);

  const modelMesh = buildModelMeshContainer({
    config,
    runtimeLabels: runtimeLabelSet(runtime.name, spec, config.restProxy.enabled),
    endpoints,
    socketDirectory: modelMeshSocketDirectory(endpoints),
    usesPuller: withPuller,
    tls,
  });
  if (!modelMesh.ok) return modelMesh;

  const others = buildRuntimeContainers(spec.containers ?? [], {
    pvcNames,
    socketDirectory: endpoints.socketDirectory,
  });
  if (spec.builtInAdapter !== undefined) {
    const adapter = buildAdapterContainer({
      adapter: spec.builtInAdapter,
      spec,
      annotations: runtime.metadata?.annotations,
      endpoints,
      config,
      pvcNames,
    });
    if (!adapter.ok) return adapter;
    others.push(adapter.value);
  }
  if (config.restProxy.enabled) others.push(buildRestProxyContainer(config, tls));
  const containers = orderContainers(modelMesh.value, others);
  if (withPuller) {
    const puller = buildPullerContainer(spec, endpoints, config, pvcNames);
    if (!puller.ok) return puller;
    containers.push(puller.value);
  }

  const selectorLabels = { [LABELS.modelMeshService]: config.inferenceServiceName, [LABELS.name]: name };
  const objectLabels = {
    [LABELS.modelMeshService]: config.inferenceServiceName,
    ...controllerLabels(),
    [LABELS.name]: name,
  };
  const podLabels = mergeMaps(objectLabels, config.runtimePodLabels, spec.labels);
  const podAnnotations = mergeMaps(
    metricsAnnotations(config),
    config.runtimePodAnnotations,
    spec.annotations,
  );
  const pullSecrets = imagePullSecrets(config, spec);

  const deployment: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: runtime.namespace,
      labels: objectLabels,
      ownerReferences: [runtimeOwnerReference(runtime)],
    },
    spec: {
      ...(context.replicas === undefined ? {} : { replicas: context.replicas }),
      selector: { matchLabels: selectorLabels },
      strategy: { rollingUpdate: { maxSurge: "75%", maxUnavailable: "15%" } },
      template: {
        metadata: {
          labels: podLabels,
          ...(Object.keys(podAnnotations).length > 0 ? { annotations: podAnnotations } : {}),
        },
        spec: {
          ...(config.serviceAccountName !== "" ? { serviceAccountName: config.serviceAccountName } : {}),
          terminationGracePeriodSeconds: MODEL_MESH.terminationGracePeriodSeconds,
          ...(spec.nodeSelector !== undefined ? { nodeSelector: { ...spec.nodeSelector } } : {}),
          ...(spec.tolerations !== undefined ? { tolerations: structuredClone(spec.tolerations) } : {}),
          affinity: runtimeAffinity(spec.affinity),
          ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets } : {}),
          volumes: podVolumes({
            spec,
            modelsDirSizeLimit: sizeLimit.value,
            socketDirectory: endpoints.socketDirectory,
            mountsStorageConfig: spec.builtInAdapter !== undefined || withPuller,
            storageSecretName: config.storageSecretName,
            pvcNames,
            etcdSecretName: context.etcdSecretName,
            tlsSecretName: tls?.secretName,
          }),
          containers,
        },
      },
    },
  };
  return ok(deployment);
}
