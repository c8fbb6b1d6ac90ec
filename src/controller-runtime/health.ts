/** The /healthz, /readyz and /metrics HTTP servers (controller-runtime's probe and metrics endpoints). */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { createLogger } from "./logging.js";

const log = createLogger("health");

export interface RunningServer {
  /** The bound port (useful when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

type Route = (response: http.ServerResponse) => void | Promise<void>;

async function serve(
  port: number,
  host: string | undefined,
  routes: Record<string, Route>,
): Promise<RunningServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const route = request.method === "GET" || request.method === "HEAD" ? routes[path] : undefined;
    if (route === undefined) {
      response.writeHead(404).end("not found\n");
      return;
    }
    Promise.resolve(route(response)).catch((error: unknown) => {
      log.error({ err: error, path }, "request failed");
      if (!response.headersSent) response.writeHead(500);
      response.end("internal error\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function check(ok: () => boolean, name: string): Route {
  return (response) => {
    const healthy = ok();
    response.writeHead(healthy ? 200 : 503, { "content-type": "text/plain" });
    response.end(healthy ? "ok\n" : `${name} check failed\n`);
  };
}

export interface ProbeOptions {
  port: number;
  host?: string;
  /** Liveness: the process can make progress. */
  isHealthy?: () => boolean;
  /** Readiness: caches are synced. */
  isReady: () => boolean;
}

/** `/healthz` and `/readyz`, as controller-runtime's health probe endpoint (`:8081` upstream). */
export function serveProbes(options: ProbeOptions): Promise<RunningServer> {
  return serve(options.port, options.host, {
    "/healthz": check(options.isHealthy ?? (() => true), "healthz"),
    "/readyz": check(options.isReady, "readyz"),
  });
}

/** Prometheus text exposition of the registry on `/metrics` (`:8080` upstream). */
export function serveMetrics(options: {
  port: number;
  host?: string;
  registry: Registry;
}): Promise<RunningServer> {
  return serve(options.port, options.host, {
    "/metrics": async (response) => {
      const body = await options.registry.metrics();
      response.writeHead(200, { "content-type": options.registry.contentType });
      response.end(body);
    },
  });
}
