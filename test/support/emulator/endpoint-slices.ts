/**
 * TEST INFRASTRUCTURE. Points the `modelmesh-serving` Service of a namespace at the emulator by publishing the
 * EndpointSlice a real cluster's endpoint controller would (there is none without kube-controller-manager), so the
 * controller resolves ModelMesh through its real EndpointSlice path. The API server refuses loopback IPs in
 * EndpointSlices, so the slice names the project's test host (a network namespace of this machine), whose relay
 * forwards to the emulator's Unix socket.
 */
import type { KubeConfig, V1EndpointSlice } from "@kubernetes/client-node";
import { ENDPOINT_SLICES } from "../../../src/apis/resource-types.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { SERVICE_NAME_LABEL } from "../../../src/modelmesh-client/grpc/endpoint-slices.js";
import { createOrReplace, testClient } from "../kube/clients.js";
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

const clients = new WeakMap<KubeConfig, KubeClient>();

function clientOf(kubeConfig: KubeConfig): KubeClient {
  let client = clients.get(kubeConfig);
  if (client === undefined) {
    client = testClient(kubeConfig);
    clients.set(kubeConfig, client);
  }
  return client;
}

/** Creates or replaces the slice. */
export async function publishEmulatorEndpoints(
  kubeConfig: KubeConfig,
  options: PublishOptions,
): Promise<void> {
  await createOrReplace(clientOf(kubeConfig), ENDPOINT_SLICES, emulatorEndpointSlice(options));
}

export async function withdrawEmulatorEndpoints(
  kubeConfig: KubeConfig,
  namespace: string,
  serviceName = "modelmesh-serving",
) {
  await clientOf(kubeConfig).delete(ENDPOINT_SLICES, sliceName(serviceName), namespace);
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
