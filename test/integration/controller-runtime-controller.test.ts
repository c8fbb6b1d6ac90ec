import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { CONFIG_MAPS } from "../../src/apis/resource-types.js";
import { Controller } from "../../src/controller-runtime/controller.js";
import { Informer, listWatchFor } from "../../src/controller-runtime/informer.js";
import { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../src/controller-runtime/metrics.js";
import { forEachBounded } from "../support/async/bounded-parallelism.js";
import { eventually } from "../support/async/eventually.js";
import { configMap } from "../support/controller-runtime/support.js";
import { suiteNamespace } from "../support/kube/namespaces.js";

type ConfigMap = KubernetesObject & { data?: Record<string, string> };

const { kubeConfig, client, namespace } = suiteNamespace("runtime-reconcile");

describe("controller over a real API server", () => {
  it("reconciles 1,000 objects: no key lost, the last state seen, never one key twice at once", async () => {
    const { registry, metrics } = createMetricsRegistry();
    const informer = new Informer<ConfigMap>({
      type: CONFIG_MAPS,
      listWatcher: listWatchFor(new KubeClient(kubeConfig, metrics), CONFIG_MAPS),
      namespace,
      labelSelector: "suite=thousand",
    });
    const inFlight = new Set<string>();
    const lastSeen = new Map<string, string | undefined>();
    let overlaps = 0;
    let peak = 0;
    const controller = new Controller({
      name: "thousand",
      workers: 8,
      metrics,
      reconciler: {
        async reconcile(key) {
          if (inFlight.has(key)) overlaps++;
          inFlight.add(key);
          peak = Math.max(peak, inFlight.size);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
          lastSeen.set(key, informer.store.get(key)?.data?.version);
          inFlight.delete(key);
        },
      },
    });
    controller.watch(informer);
    informer.start();
    expect(await informer.waitForSync(30_000)).toBe(true);
    controller.start();

    const names = Array.from({ length: 1000 }, (_, i) => `cm-${String(i).padStart(4, "0")}`);
    await forEachBounded(names, 16, (name) =>
      client.create(CONFIG_MAPS, configMap(namespace, name, { version: "1" }, { suite: "thousand" })),
    );
    await forEachBounded(names, 16, (name) =>
      client.mergePatch(CONFIG_MAPS, { namespace, name }, { data: { version: "2" } }),
    );
    await eventually(
      () => names.every((name) => lastSeen.get(`${namespace}/${name}`) === "2"),
      "every object's last reconcile to see version 2",
      90_000,
    );
    await controller.stop();
    await informer.stop();

    expect(lastSeen.size).toBe(1000);
    expect(overlaps).toBe(0);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(8);
    const text = await registry.metrics();
    expect(text).toMatch(
      /controller_runtime_reconcile_total\{controller="thousand",result="success"\} \d{4}/,
    );
    expect(text).toMatch(/rest_client_requests_total\{code="200",method="GET",host="127\.0\.0\.1:\d+"\} \d/);
  });

  it("retries a throwing reconciler with growing backoff until it succeeds", async () => {
    const { metrics } = createMetricsRegistry();
    const informer = new Informer<ConfigMap>({
      type: CONFIG_MAPS,
      listWatcher: listWatchFor(new KubeClient(kubeConfig, metrics), CONFIG_MAPS),
      namespace,
      fieldSelector: "metadata.name=flaky",
    });
    const attempts: number[] = [];
    const controller = new Controller({
      name: "flaky",
      metrics,
      reconciler: {
        async reconcile(key) {
          attempts.push(performance.now());
          if (attempts.length <= 6) throw new Error(`simulated failure ${attempts.length} for ${key}`);
        },
      },
    });
    controller.watch(informer);
    informer.start();
    expect(await informer.waitForSync(30_000)).toBe(true);
    controller.start();
    await client.create(CONFIG_MAPS, configMap(namespace, "flaky", { a: "b" }));
    await eventually(() => attempts.length >= 7, "seven attempts", 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await controller.stop();
    await informer.stop();

    expect(attempts.length).toBe(7);
    const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] ?? 0));
    // 5 ms doubling per failure (5, 10, 20, 40, 80, 160): timers fire late at times, never early.
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(5 * 2 ** i - 1);
    expect(gaps[5]).toBeGreaterThan(gaps[1] ?? 0);
    expect(controller.queue.numRequeues(`${namespace}/flaky`)).toBe(0);
  });
});
