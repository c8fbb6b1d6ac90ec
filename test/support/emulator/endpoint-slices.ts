/**
 * TEST INFRASTRUCTURE. Points the `modelmesh-serving` Service of a namespace at the emulator by publishing the
 * EndpointSlice a real cluster's endpoint controller would (there is none without kube-controller-manager), so the
 * controller resolves ModelMesh through its real EndpointSlice path. The API server refuses loopback IPs in
 * EndpointSlices, so the slice names this machine's first non-loopback IPv4 address, where the emulator also
 * listens (see {@link endpointHost}).
 */
import { networkInterfaces } from "node:os";
import { DiscoveryV1Api, type KubeConfig, type V1EndpointSlice } from "@kubernetes/client-node";
import { SERVICE_NAME_LABEL } from "../../../src/mesh/endpoint-slices.js";

export interface PublishOptions {
  readonly namespace: string;
  readonly serviceName?: string;
  /** The emulator's loopback port. */
  readonly port: number;
  /** Service port name; the Service calls its management port `grpc`. */
  readonly portName?: string;
  readonly ready?: boolean;
}

/** An address of this machine that an EndpointSlice may carry: the first non-internal IPv4. */
export function endpointHost(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
  if (!address)
    throw new Error("the emulator needs a non-loopback IPv4 address to publish in an EndpointSlice");
  return address;
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
    endpoints: [{ addresses: [endpointHost()], conditions: { ready: options.ready ?? true } }],
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
