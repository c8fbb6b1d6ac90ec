import { describe, expect, it } from "vitest";
import { serveMetrics, serveProbes } from "./health.js";
import { createMetricsRegistry } from "./metrics.js";

describe("probe and metrics servers", () => {
  it("answers /healthz, and /readyz only once ready", async () => {
    let ready = false;
    const server = await serveProbes({ port: 0, host: "127.0.0.1", isReady: () => ready });
    const url = `http://127.0.0.1:${server.port}`;
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      ready = true;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/nothing`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("serves controller-runtime and process metrics", async () => {
    const { registry, metrics } = createMetricsRegistry();
    metrics.reconcileTotal.inc({ controller: "ServingRuntimeReconciler", result: "success" });
    const server = await serveMetrics({ port: 0, host: "127.0.0.1", registry });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain(
        'controller_runtime_reconcile_total{controller="ServingRuntimeReconciler",result="success"} 1',
      );
      expect(text).toContain("process_cpu_user_seconds_total");
      expect(text).toContain("nodejs_heap_size_used_bytes");
    } finally {
      await server.close();
    }
  });
});
