/**
 * The config key `modelMeshEndpoint` (development only): a gRPC target the controller dials for every namespace
 * instead of the addresses of the Service's EndpointSlices. Upstream handed the value to grpc-go's dialler, so it
 * may carry a scheme or not (decision 0130).
 */
import { fail, ok, type Result } from "../../lib/result.js";

/** Schemes grpc-js resolves itself; the value goes to it as written. */
const GRPC_SCHEMES = ["dns:", "ipv4:", "ipv6:", "unix:"];
/** grpc-go's default scheme: the rest is dialled as written. */
const PASSTHROUGH = "passthrough:///";
/** `host:port` or `[ipv6]:port`. */
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s/:[\]]+):\d{1,5}$/;

/** The grpc-js target for a `modelMeshEndpoint` value, or why it cannot be dialled. */
export function dialTarget(endpoint: string): Result<string> {
  const value = endpoint.trim();
  if (GRPC_SCHEMES.some((scheme) => value.toLowerCase().startsWith(scheme))) return ok(value);
  const address = value.startsWith(PASSTHROUGH) ? value.slice(PASSTHROUGH.length) : value;
  if (HOST_PORT.test(address)) return ok(address);
  return fail(
    `config modelMeshEndpoint '${endpoint}' is not a gRPC target: expected host:port (dns:/// or passthrough:/// before it allowed), an ipv4: or ipv6: address list, or unix:<path>`,
  );
}
