/**
 * The core/v1 Endpoints the scale bench publishes for upstream's controller (test/support/bench/upstream-endpoints.ts),
 * stored by the real API server and read the way upstream's resolver reads them: the ready addresses of the
 * subsets whose port is named (or numbered) "8033".
 */

import type { V1Endpoints } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { publishUpstreamEndpoints, UPSTREAM_RESOLVER_PORT } from "../support/bench/upstream-endpoints.js";
import { suiteNamespace } from "../support/kube/namespaces.js";
import { ENDPOINTS } from "../support/kube/resource-types.js";

const { kubeConfig, client, namespace } = suiteNamespace("bench-endpoints");
/** A documentation address: the API server refuses loopback ones in Endpoints, as in EndpointSlices. */
const HOST = "192.0.2.10";
const PORT = 41_234;

/** `ip:port` of every ready address in a subset with the resolver's port, as upstream's resolver collects them. */
function resolved(endpoints: V1Endpoints): string[] {
  return (endpoints.subsets ?? []).flatMap((subset) => {
    const port = subset.ports?.find(
      (p) => p.name === UPSTREAM_RESOLVER_PORT || String(p.port) === UPSTREAM_RESOLVER_PORT,
    );
    return port === undefined ? [] : (subset.addresses ?? []).map((address) => `${address.ip}:${port.port}`);
  });
}

describe("the bench's Endpoints for upstream's controller", () => {
  it("names the ModelMesh Service, resolves to the relay when ready and to nothing when not", async () => {
    const read = async () => (await client.get<V1Endpoints>(ENDPOINTS, "modelmesh-serving", namespace)) ?? {};

    await publishUpstreamEndpoints(kubeConfig, { namespace, host: HOST, port: PORT });
    const ready = await read();
    expect(resolved(ready)).toStrictEqual([`${HOST}:${PORT}`]);
    expect(ready.subsets?.[0]?.ports).toEqual([{ name: "8033", port: PORT, protocol: "TCP" }]);

    await publishUpstreamEndpoints(kubeConfig, { namespace, host: HOST, port: PORT, ready: false });
    const unready = await read();
    expect(resolved(unready)).toStrictEqual([]);
    expect(unready.subsets?.[0]?.notReadyAddresses?.map((address) => address.ip)).toStrictEqual([HOST]);

    await publishUpstreamEndpoints(kubeConfig, { namespace, host: HOST, port: PORT, ready: true });
    expect(resolved(await read())).toStrictEqual([`${HOST}:${PORT}`]);
  });
});
