/** The ready addresses of a port of the ModelMesh Service, read from its EndpointSlices. */
import type { V1EndpointSlice } from "@kubernetes/client-node";

/** Label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface MeshAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Where the Service's pods can be reached on one port: every ready endpoint of every slice of the Service, with
 * the slice port whose name or number equals `port` (the Service port name, or the pods' port number). A missing
 * `ready` condition counts as ready, as the API defines. Sorted and de-duplicated so equal sets compare equal.
 */
export function readyAddresses(slices: readonly V1EndpointSlice[], port: string | number): MeshAddress[] {
  const wanted = String(port);
  const found = new Map<string, MeshAddress>();
  for (const slice of slices) {
    const slicePort = slice.ports?.find(
      (p) => p.name === wanted || (p.port !== undefined && String(p.port) === wanted),
    );
    if (slicePort?.port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const host of endpoint.addresses ?? []) {
        found.set(`${host}|${slicePort.port}`, { host, port: slicePort.port });
      }
    }
  }
  return [...found.values()].sort((a, b) => (a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1));
}

export function sameAddresses(a: readonly MeshAddress[], b: readonly MeshAddress[]): boolean {
  return a.length === b.length && a.every((x, i) => x.host === b[i]?.host && x.port === b[i]?.port);
}
