/**
 * The model-mesh (`mm`) container of a runtime pod (the `mm` container of upstream's
 * `config/internal/base/deployment.yaml.tmpl`, with `controllers/modelmesh/modelmesh.go addMMEnvVars`).
 */
import type { V1Container, V1ContainerPort, V1EnvVar, V1VolumeMount } from "@kubernetes/client-node";
import { imageReference, type ServingConfig } from "../config/serving-config.js";
import { fail, ok, type Result } from "../lib/result.js";
import { CONTAINERS, ENV, MODEL_MESH, PATHS, PORT_NAMES, PORTS } from "./constants.js";
import type { RuntimeEndpoints } from "./endpoints.js";
import { envVar, fieldRefEnvVar, setEnv } from "./env.js";
import { modelMeshLabels } from "./model-type-labels.js";
import { containerResources } from "./resources.js";
import { type TlsSettings, tlsEnv } from "./tls.js";
import { etcdConfigMount, socketMount, tlsCertsMount, typeConstraintsMount } from "./volumes.js";

export interface ModelMeshContainerInputs {
  config: ServingConfig;
  runtimeLabels: ReadonlySet<string>;
  endpoints: RuntimeEndpoints;
  /** Directory of the socket volume in this container, if mounted. */
  socketDirectory: string | undefined;
  usesPuller: boolean;
  tls: TlsSettings | undefined;
}

const KV_STORE_VALUE = `etcd:${PATHS.etcdConnectionFile}`;

export function metricsEnvValue(config: ServingConfig): string {
  const { metrics } = config;
  return metrics.enabled
    ? `prometheus:port=${metrics.port};scheme=${metrics.scheme}`
    : MODEL_MESH.metricsDisabled;
}

/**
 * The mm env in upstream's order. Everything from `internalModelMeshEnvVars` on is set-or-replace by name, so
 * the user's extra variables can override the first block but not the variables the controller must own.
 */
export function modelMeshEnv(inputs: ModelMeshContainerInputs): Result<V1EnvVar[]> {
  const { config, endpoints } = inputs;
  const env: V1EnvVar[] = [
    envVar(ENV.serviceName, config.inferenceServiceName),
    envVar(ENV.serviceGrpcPort, config.inferenceServicePort),
    fieldRefEnvVar(ENV.podName, "metadata.name"),
    fieldRefEnvVar(ENV.podIp, "status.podIP"),
    fieldRefEnvVar(ENV.location, "status.hostIP"),
    envVar(ENV.kvStore, KV_STORE_VALUE),
    envVar(ENV.metrics, metricsEnvValue(config)),
    envVar(ENV.shutdownTimeout, MODEL_MESH.terminationGracePeriodSeconds * 1000),
  ];
  for (const variable of config.internalModelMeshEnvVars) setEnv(env, structuredClone(variable));

  if (endpoints.data?.kind === "port") setEnv(env, envVar(ENV.servingGrpcPort, endpoints.data.port));
  if (endpoints.data?.kind === "unix") setEnv(env, envVar(ENV.servingGrpcSocket, endpoints.data.path));
  if (inputs.usesPuller) {
    setEnv(env, envVar(ENV.internalGrpcPort, PORTS.puller));
  } else if (endpoints.management?.kind === "port") {
    setEnv(env, envVar(ENV.internalGrpcPort, endpoints.management.port));
  } else if (endpoints.management?.kind === "unix") {
    setEnv(env, envVar(ENV.internalGrpcSocket, endpoints.management.path));
  } else {
    return fail(
      'spec.grpcEndpoint ("port:<number>" or "unix:<path>") is required when the runtime does not use the puller: ' +
        "model-mesh must know where to reach the model server",
    );
  }
  if (config.enableAccessLogging) setEnv(env, envVar(ENV.logEachInvoke, true));
  if (config.grpcMaxMessageSizeBytes > 0)
    setEnv(env, envVar(ENV.maxMessageSize, config.grpcMaxMessageSizeBytes));
  setEnv(env, envVar(ENV.kvStorePrefix, MODEL_MESH.kvStorePrefix));
  setEnv(env, envVar(ENV.defaultVModelOwner, MODEL_MESH.defaultVModelOwner));
  if (config.payloadProcessors.length > 0)
    setEnv(env, envVar(ENV.payloadProcessors, config.payloadProcessors.join(" ")));
  setEnv(env, envVar(ENV.labels, modelMeshLabels(inputs.runtimeLabels)));
  setEnv(env, envVar(ENV.typeConstraintsPath, PATHS.typeConstraintsFile));
  setEnv(env, envVar(ENV.dataplaneConfigPath, PATHS.dataplaneConfigFile));
  setEnv(env, envVar(ENV.kvStore, KV_STORE_VALUE));
  if (inputs.tls !== undefined) for (const variable of tlsEnv(inputs.tls)) setEnv(env, variable);
  return ok(env);
}

export function buildModelMeshContainer(inputs: ModelMeshContainerInputs): Result<V1Container> {
  const env = modelMeshEnv(inputs);
  if (!env.ok) return env;
  const { config } = inputs;
  const ports: V1ContainerPort[] = [
    { name: PORT_NAMES.grpc, containerPort: config.inferenceServicePort, protocol: "TCP" },
  ];
  if (config.metrics.enabled)
    ports.push({ name: PORT_NAMES.prometheus, containerPort: config.metrics.port, protocol: "TCP" });
  const volumeMounts: V1VolumeMount[] = [];
  if (inputs.socketDirectory !== undefined) volumeMounts.push(socketMount(inputs.socketDirectory));
  volumeMounts.push(typeConstraintsMount(), etcdConfigMount());
  if (inputs.tls !== undefined) volumeMounts.push(tlsCertsMount());
  return ok({
    name: CONTAINERS.modelMesh,
    image: imageReference(config.modelMeshImage),
    env: env.value,
    ports,
    resources: containerResources(config.modelMeshResources),
    readinessProbe: {
      httpGet: { path: PATHS.readinessPath, port: PORTS.modelMeshProbe },
      initialDelaySeconds: 5,
      periodSeconds: 5,
      timeoutSeconds: 1,
    },
    livenessProbe: {
      httpGet: { path: PATHS.livenessPath, port: PORTS.modelMeshProbe },
      initialDelaySeconds: 90,
      periodSeconds: 30,
      timeoutSeconds: 5,
      failureThreshold: 2,
    },
    lifecycle: { preStop: { exec: { command: [PATHS.modelMeshStopScript, "wait"] } } },
    securityContext: { capabilities: { drop: ["ALL"] } },
    volumeMounts,
  });
}
