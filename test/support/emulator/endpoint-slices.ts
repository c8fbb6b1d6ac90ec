/**
 * TEST INFRASTRUCTURE. Points the `modelmesh-serving` Service of a namespace at the emulator by publishing the
 * EndpointSlice a real cluster's endpoint controller would (there is none without kube-controller-manager), so the
 * controller resolves ModelMesh through its real EndpointSlice path. The API server refuses loopback IPs in
 * EndpointSlices, so the slice names the project's test host (a network namespace of this machine), whose relay
 * forwards to the emulator's Unix socket.
 */
import { DiscoveryV1Api, type KubeConfig, type V1EndpointSlice } from "@kubernetes/client-node";
import { SERVICE_NAME_LABEL } from "../../../src/modelmesh-client/grpc/endpoint-slices.js";
import { type Relay, startRelay } from "../network/test-host.js";

export interface PublishOptions {
  readonly namespace: string;
  readonly serviceName?: string;
  /** Address and port that reach the emulator (the test host's relay). */
  readonly host: string;
  readonly port: number;
  /** Service port name; the Service calls its management port `grpc`. */
  readonly portName?: string;
  readonly ready?: boolean;
}

function sliceName(serviceName: string): string {
  return `${serviceName}-emulator`;
}

export function emulatorEndpointSlice(options: PublishOptions): V1EndpointSlice {
  const serviceName = options.serviceName ?? "modelmesh-serving";
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: sliceName(serviceName),
      namespace: options.namespace,
      labels: {
        [SERVICE_NAME_LABEL]: serviceName,
        "endpointslice.kubernetes.io/managed-by": "modelmesh-emulator",
      },
    },
    addressType: "IPv4",
    ports: [{ name: options.portName ?? "grpc", port: options.port, protocol: "TCP" }],
    endpoints: [{ addresses: [options.host], conditions: { ready: options.ready ?? true } }],
  };
}

/** Creates or replaces the slice. */
export async function publishEmulatorEndpoints(
  kubeConfig: KubeConfig,
  options: PublishOptions,
): Promise<void> {
  const api = kubeConfig.makeApiClient(DiscoveryV1Api);
  const body = emulatorEndpointSlice(options);
  const name = body.metadata?.name ?? "";
  try {
    const existing = await api.readNamespacedEndpointSlice({ name, namespace: options.namespace });
    body.metadata = { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion };
    await api.replaceNamespacedEndpointSlice({ name, namespace: options.namespace, body });
  } catch (error) {
    if ((error as { code?: number }).code !== 404) throw error;
    await api.createNamespacedEndpointSlice({ namespace: options.namespace, body });
  }
}

export async function withdrawEmulatorEndpoints(
  kubeConfig: KubeConfig,
  namespace: string,
  serviceName = "modelmesh-serving",
) {
  const api = kubeConfig.makeApiClient(DiscoveryV1Api);
  await api
    .deleteNamespacedEndpointSlice({ name: sliceName(serviceName), namespace })
    .catch((error: unknown) => {
      if ((error as { code?: number }).code !== 404) throw error;
    });
}

/**
 * Makes an emulator reachable the way a cluster makes model-mesh pods reachable: a relay on the test host
 * forwards to the emulator's Unix socket, and an EndpointSlice of the namespace's Service names the relay.
 */
export async function exposeEmulator(
  kubeConfig: KubeConfig,
  emulator: { socketPath: string },
  options: { namespace: string; serviceName?: string; detached?: boolean },
): Promise<Relay> {
  const relay = await startRelay(emulator.socketPath, { detached: options.detached ?? false });
  await publishEmulatorEndpoints(kubeConfig, {
    namespace: options.namespace,
    ...(options.serviceName === undefined ? {} : { serviceName: options.serviceName }),
    host: relay.host,
    port: relay.port,
  });
  return relay;
}
