/**
 * The REST proxy container: KServe v2 REST in front of model-mesh's gRPC (upstream's
 * `controllers/modelmesh/proxy.go addRESTProxyToDeployment`).
 */
import type { V1Container } from "@kubernetes/client-node";
import { imageReference, type ServingConfig } from "../config/serving-config.js";
import { CONTAINERS, ENV, PORT_NAMES } from "./constants.js";
import { envVar, setEnv } from "./env.js";
import { containerResources } from "./resources.js";
import { type TlsSettings, tlsEnv } from "./tls.js";
import { tlsCertsMount } from "./volumes.js";

export function buildRestProxyContainer(config: ServingConfig, tls: TlsSettings | undefined): V1Container {
  const { restProxy } = config;
  const env = [
    envVar(ENV.restProxyListenPort, restProxy.port),
    envVar(ENV.restProxyGrpcPort, config.inferenceServicePort),
    envVar(ENV.restProxyUseTls, tls !== undefined),
    envVar(ENV.restProxyMaxMessageSize, config.grpcMaxMessageSizeBytes),
    envVar(ENV.restProxySkipVerify, restProxy.skipVerify),
  ];
  if (tls !== undefined) for (const variable of tlsEnv(tls)) setEnv(env, variable);
  const container: V1Container = {
    name: CONTAINERS.restProxy,
    image: imageReference(restProxy.image),
    env,
    ports: [{ name: PORT_NAMES.http, containerPort: restProxy.port, protocol: "TCP" }],
    resources: containerResources(restProxy.resources),
  };
  if (tls !== undefined) container.volumeMounts = [tlsCertsMount()];
  return container;
}
