/**
 * Runtime endpoints (`grpcEndpoint`, `grpcDataEndpoint`): `port:<N>`, or a unix socket `unix:<path>` /
 * `unix://<path>`. Sockets are shared between containers through the `domain-socket` volume mounted at the
 * socket's parent directory.
 */
import { posix } from "node:path";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import { fail, ok, type Result } from "../lib/result.js";

export type Endpoint = { kind: "port"; port: string } | { kind: "unix"; path: string; directory: string };

const PORT_ENDPOINT = /^port:([0-9]+)$/;
const UNIX_PREFIX = "unix:";

export function parseEndpoint(endpoint: string): Result<Endpoint> {
  const port = PORT_ENDPOINT.exec(endpoint)?.[1];
  if (port !== undefined) return ok({ kind: "port", port });
  if (endpoint.startsWith(UNIX_PREFIX)) {
    const rest = endpoint.slice(UNIX_PREFIX.length);
    const path = rest.startsWith("//") ? rest.slice(2) : rest;
    return ok({ kind: "unix", path, directory: posix.dirname(path) });
  }
  return fail(`Invalid endpoint "${endpoint}": expected "port:<number>" or "unix:<path>"`);
}

/** Parsed `grpcEndpoint` and `grpcDataEndpoint` of a runtime (each absent when unset). */
export interface RuntimeEndpoints {
  management?: Endpoint;
  data?: Endpoint;
  /** The one directory holding the runtime's unix sockets, if it uses any. */
  socketDirectory?: string;
}

export function parseRuntimeEndpoints(
  spec: Pick<ServingRuntimeSpec, "grpcEndpoint" | "grpcDataEndpoint">,
): Result<RuntimeEndpoints> {
  const endpoints: RuntimeEndpoints = {};
  const sockets: string[] = [];
  for (const [field, text] of [
    ["management", spec.grpcEndpoint],
    ["data", spec.grpcDataEndpoint],
  ] as const) {
    if (text === undefined) continue;
    const parsed = parseEndpoint(text);
    if (!parsed.ok) return parsed;
    endpoints[field] = parsed.value;
    if (parsed.value.kind === "unix") sockets.push(text);
  }
  const directories = new Set(
    [endpoints.data, endpoints.management].flatMap((e) => (e?.kind === "unix" ? [e.directory] : [])),
  );
  if (directories.size > 1) {
    return fail(`Only one unix domain socket path is allowed. Found [${sockets.join(" ")}]`);
  }
  const [socketDirectory] = directories;
  if (socketDirectory !== undefined) endpoints.socketDirectory = socketDirectory;
  return ok(endpoints);
}

/**
 * Where model-mesh itself mounts the socket volume: decided by `grpcDataEndpoint` alone when it is set (upstream
 * behaviour: a unix management endpoint next to a TCP data endpoint is not mounted in `mm`).
 */
export function modelMeshSocketDirectory(endpoints: RuntimeEndpoints): string | undefined {
  const decisive = endpoints.data ?? endpoints.management;
  return decisive?.kind === "unix" ? decisive.directory : undefined;
}
