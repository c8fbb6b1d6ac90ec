/**
 * The built-in adapter container, bridging model-mesh and a known model server (the built-in adapter part of
 * upstream's `controllers/modelmesh/runtime.go addRuntimeToDeployment`).
 */
import type { V1Container, V1ObjectMeta, V1VolumeMount } from "@kubernetes/client-node";
import {
  MAX_LOADING_CONCURRENCY_ANNOTATION,
  PER_MODEL_CONCURRENCY_LIMIT_ANNOTATION,
} from "../apis/serving/annotations.js";
import type { BuiltInAdapter, ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import { imageReference, type ServingConfig } from "../config/serving-config.js";
import { fail, ok, type Result } from "../lib/result.js";
import { CONTAINERS, ENV, PATHS, PORTS } from "./constants.js";
import type { RuntimeEndpoints } from "./endpoints.js";
import { envVar, setEnv } from "./env.js";
import { containerResources } from "./resources.js";
import { dropAllCapabilities, preStopHook } from "./runtime-containers.js";
import { modelsDirMount, pvcMounts, socketMount, storageConfigMount } from "./volumes.js";

export interface AdapterInputs {
  adapter: BuiltInAdapter;
  spec: ServingRuntimeSpec;
  annotations: V1ObjectMeta["annotations"];
  endpoints: RuntimeEndpoints;
  config: ServingConfig;
  pvcNames: readonly string[];
}

/**
 * The tag of an image reference, for `RUNTIME_VERSION`. Upstream took everything after the first `:`, which
 * breaks on registry ports (`registry:5000/triton:23.04` gave `5000/triton:23.04`); the tag is what it meant.
 */
export function imageTag(image: string): string {
  const [name = ""] = image.split("@");
  const colon = name.indexOf(":", name.lastIndexOf("/") + 1);
  return colon < 0 ? "" : name.slice(colon + 1);
}

export function adapterContainerName(serverType: string): string {
  return `${serverType}${CONTAINERS.adapterSuffix}`;
}

export function buildAdapterContainer(inputs: AdapterInputs): Result<V1Container> {
  const { adapter, spec, endpoints, config } = inputs;
  const serverType = adapter.serverType ?? "";
  let adapterPort = String(PORTS.defaultAdapter);
  if (spec.grpcEndpoint !== undefined) {
    if (endpoints.management?.kind !== "port") {
      return fail(`Built-in adapter grpcEndpoint must be of the form "port:N": ${spec.grpcEndpoint}`);
    }
    adapterPort = endpoints.management.port;
  }
  const managementPort = adapter.runtimeManagementPort ?? 0;
  const serverContainer = spec.containers.find((container) => container.name === serverType);
  const env = [
    envVar(ENV.adapterPort, adapterPort),
    envVar(ENV.runtimePort, managementPort),
    envVar(ENV.runtimeDataEndpoint, spec.grpcDataEndpoint ?? `port:${managementPort}`),
    {
      name: ENV.containerMemoryRequest,
      valueFrom: { resourceFieldRef: { containerName: serverType, resource: "requests.memory" } },
    },
    envVar(ENV.memoryBuffer, adapter.memBufferBytes ?? 0),
    envVar(ENV.loadTimeout, adapter.modelLoadingTimeoutMillis ?? 0),
    envVar(ENV.useEmbeddedPuller, true),
    envVar(ENV.runtimeVersion, imageTag(serverContainer?.image ?? "")),
  ];
  const loadingConcurrency = inputs.annotations?.[MAX_LOADING_CONCURRENCY_ANNOTATION];
  if (loadingConcurrency !== undefined) env.push(envVar(ENV.loadingConcurrency, loadingConcurrency));
  const perModelConcurrency = inputs.annotations?.[PER_MODEL_CONCURRENCY_LIMIT_ANNOTATION];
  if (perModelConcurrency !== undefined) env.push(envVar(ENV.perModelConcurrency, perModelConcurrency));
  for (const variable of adapter.env ?? []) setEnv(env, structuredClone(variable));

  const volumeMounts: V1VolumeMount[] = [
    modelsDirMount(),
    ...pvcMounts(inputs.pvcNames),
    storageConfigMount(),
  ];
  // Upstream mounts the socket here only when a data endpoint is set (the adapter endpoint is always TCP).
  if (spec.grpcDataEndpoint !== undefined && endpoints.socketDirectory !== undefined) {
    volumeMounts.push(socketMount(endpoints.socketDirectory));
  }
  return ok({
    name: adapterContainerName(serverType),
    image: imageReference(config.storageHelperImage),
    command: [`${PATHS.adapterBinaryDir}/${adapterContainerName(serverType)}`],
    env,
    resources: containerResources(config.storageHelperResources),
    volumeMounts,
    lifecycle: preStopHook(),
    securityContext: dropAllCapabilities(),
  });
}
