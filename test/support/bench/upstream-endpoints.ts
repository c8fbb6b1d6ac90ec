/**
 * The core/v1 Endpoints object of a namespace's ModelMesh Service, next to the emulator's EndpointSlice. This
 * controller resolves ModelMesh from EndpointSlices; upstream's (`pkg/mmesh/grpc_resolver.go`) dials
 * `kube:///<service>.<namespace>:8033` and takes the ready addresses of the Endpoints subsets whose port name or
 * number is "8033". No endpoints controller runs here (decision 0001), so the bench writes the object itself, with
 * the port named "8033" because the relay's port number is not 8033, and flips it with the slice, so that
 * `--controller-cmd` can measure upstream's manager too.
 */
import type { KubeConfig, V1Endpoints } from "@kubernetes/client-node";
import { createOrReplace, testClient } from "../kube/clients.js";
import { ENDPOINTS } from "../kube/resource-types.js";

/** The target port upstream's resolver looks for, by name or number. */
export const UPSTREAM_RESOLVER_PORT = "8033";

export interface UpstreamEndpointsOptions {
  readonly namespace: string;
  readonly serviceName?: string;
  /** Address and port that reach the emulator (the test host's relay). */
  readonly host: string;
  readonly port: number;
  readonly ready?: boolean;
}

export function upstreamEndpoints(options: UpstreamEndpointsOptions): V1Endpoints {
  const address = [{ ip: options.host }];
  const ready = options.ready ?? true;
  return {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: options.serviceName ?? "modelmesh-serving", namespace: options.namespace },
    subsets: [
      {
        ...(ready ? { addresses: address } : { notReadyAddresses: address }),
        ports: [{ name: UPSTREAM_RESOLVER_PORT, port: options.port, protocol: "TCP" }],
      },
    ],
  };
}

/** Creates or replaces the Endpoints object. */
export async function publishUpstreamEndpoints(
  kubeConfig: KubeConfig,
  options: UpstreamEndpointsOptions,
): Promise<void> {
  await createOrReplace(testClient(kubeConfig), ENDPOINTS, upstreamEndpoints(options));
}
