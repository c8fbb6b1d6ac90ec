import type { KubernetesObject, V1Lease } from "@kubernetes/client-node";
import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { CONFIG_MAPS, LEASES } from "../../src/apis/resource-types.js";
import { Controller } from "../../src/controller-runtime/controller.js";
import { Manager } from "../../src/controller-runtime/manager.js";
import { eventually } from "../support/async/eventually.js";
import { configMap } from "../support/controller-runtime/support.js";
import { suiteNamespace } from "../support/kube/namespaces.js";

const { kubeConfig, client, namespace } = suiteNamespace("runtime-probes");

describe("manager in process", () => {
  it("serves /healthz, /readyz after sync, and /metrics with controller-runtime names", async () => {
    const manager = new Manager({
      kubeConfig,
      metricsPort: 0,
      healthPort: 0,
      bindHost: "127.0.0.1",
      leaderElection: { namespace, name: "probes-lock", identity: "probes" },
    });
    const configMaps = manager.informer<KubernetesObject>(CONFIG_MAPS, { namespace });
    const reconciled: string[] = [];
    const controller = new Controller({
      name: "probes",
      workers: 3,
      metrics: manager.metrics,
      reconciler: {
        async reconcile(key) {
          reconciled.push(key);
        },
      },
    });
    controller.watch(configMaps);
    manager.addController(controller);

    const started = manager.start();
    await eventually(() => manager.ports.health !== undefined, "the probe server", 10_000);
    const probe = (path: string) =>
      fetch(`http://127.0.0.1:${manager.ports.health}${path}`).then((r) => r.status);
    expect(await probe("/healthz")).toBe(200);
    await started;
    expect(await probe("/readyz")).toBe(200);

    await client.create(CONFIG_MAPS, configMap(namespace, "probe-me", { a: "1" }));
    await eventually(() => reconciled.includes(`${namespace}/probe-me`), "the reconcile", 20_000);

    const metrics = await fetch(`http://127.0.0.1:${manager.ports.metrics}/metrics`).then((r) => r.text());
    for (const line of [
      'controller_runtime_reconcile_total{controller="probes",result="success"}',
      'controller_runtime_max_concurrent_reconciles{controller="probes"} 3',
      'controller_runtime_active_workers{controller="probes"} 0',
      'workqueue_adds_total{name="probes"}',
      'workqueue_depth{name="probes"} 0',
      'workqueue_longest_running_processor_seconds{name="probes"}',
      'workqueue_unfinished_work_seconds{name="probes"}',
      'leader_election_master_status{name="probes-lock"} 1',
      'rest_client_requests_total{code="200",method="GET"',
      "controller_runtime_reconcile_time_seconds_bucket",
      "workqueue_queue_duration_seconds_bucket",
      "workqueue_work_duration_seconds_bucket",
      "process_resident_memory_bytes",
    ]) {
      expect(metrics).toContain(line);
    }

    await manager.stop();
    expect(await probe("/healthz").catch(() => "closed")).toBe("closed");
    const lease = await client.get<V1Lease>(LEASES, "probes-lock", namespace);
    expect(lease?.spec?.holderIdentity).toBe("");
  });

  it("serves every controller-runtime and workqueue series at 0 for a controller that has done nothing", async () => {
    const manager = new Manager({ kubeConfig, metricsPort: 0, bindHost: "127.0.0.1" });
    const nothing = manager.informer<KubernetesObject>(CONFIG_MAPS, {
      namespace,
      labelSelector: "runtime-test=matches-nothing",
    });
    let reconciles = 0;
    const controller = new Controller({
      name: "idle",
      workers: 2,
      metrics: manager.metrics,
      reconciler: {
        async reconcile() {
          reconciles++;
        },
      },
    });
    controller.watch(nothing);
    manager.addController(controller);
    await manager.start();

    const metrics = await fetch(`http://127.0.0.1:${manager.ports.metrics}/metrics`).then((r) => r.text());
    await manager.stop();
    expect(reconciles).toBe(0);
    const lines = metrics.split("\n");
    for (const line of [
      ...["success", "error", "requeue", "requeue_after"].map(
        (result) => `controller_runtime_reconcile_total{controller="idle",result="${result}"} 0`,
      ),
      'controller_runtime_reconcile_errors_total{controller="idle"} 0',
      'controller_runtime_terminal_reconcile_errors_total{controller="idle"} 0',
      'controller_runtime_reconcile_panics_total{controller="idle"} 0',
      'controller_runtime_active_workers{controller="idle"} 0',
      'controller_runtime_max_concurrent_reconciles{controller="idle"} 2',
      'workqueue_depth{name="idle"} 0',
      'workqueue_adds_total{name="idle"} 0',
      'workqueue_retries_total{name="idle"} 0',
      'workqueue_queue_duration_seconds_count{name="idle"} 0',
      'workqueue_work_duration_seconds_count{name="idle"} 0',
      'workqueue_unfinished_work_seconds{name="idle"} 0',
      'workqueue_longest_running_processor_seconds{name="idle"} 0',
    ]) {
      expect(lines).toContain(line);
    }
  });

  it("gives up waiting for cache sync after the timeout", async () => {
    const unreachable = new KubeConfig();
    unreachable.loadFromOptions({
      clusters: [{ name: "nowhere", server: "https://127.0.0.1:1", skipTLSVerify: true }],
      users: [{ name: "nobody" }],
      contexts: [{ name: "nowhere", cluster: "nowhere", user: "nobody" }],
      currentContext: "nowhere",
    });
    const manager = new Manager({ kubeConfig: unreachable, cacheSyncTimeoutMs: 1_500 });
    manager.informer(CONFIG_MAPS);
    await expect(manager.start()).rejects.toThrow(
      /timed out after 1500 ms waiting for caches to sync: ConfigMap/,
    );
    await manager.stop();
  });
});
