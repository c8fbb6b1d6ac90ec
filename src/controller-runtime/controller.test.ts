import { describe, expect, it } from "vitest";
import { Controller, type ReconcileResult } from "./controller.js";
import { createMetricsRegistry } from "./metrics.js";
import { ExponentialFailureRateLimiter } from "./rate-limiter.js";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await delay(2);
  }
}

function newController(reconcile: (key: string) => Promise<ReconcileResult | undefined>, workers = 1) {
  const { registry, metrics } = createMetricsRegistry();
  const controller = new Controller({
    name: "test",
    workers,
    metrics,
    rateLimiter: new ExponentialFailureRateLimiter(20, 10_000),
    reconciler: { reconcile: (key) => reconcile(key) },
  });
  return { controller, registry };
}

describe("Controller", () => {
  it("reconciles every key with N workers, never the same key twice at once", async () => {
    const running = new Set<string>();
    const seen = new Map<string, number>();
    let overlap = 0;
    let peak = 0;
    const { controller } = newController(async (key) => {
      if (running.has(key)) overlap++;
      running.add(key);
      peak = Math.max(peak, running.size);
      await delay(1);
      running.delete(key);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      return undefined;
    }, 4);
    controller.start();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 200; i++) controller.enqueue(`ns/obj-${i % 50}`);
      await delay(3);
    }
    await until(() => controller.queue.length === 0 && controller.queue.inFlight === 0);
    await controller.stop();
    expect(overlap).toBe(0);
    expect(seen.size).toBe(50);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(4);
  });

  it("retries a throwing reconciler with growing backoff and resets it after success", async () => {
    const attempts: number[] = [];
    const { controller, registry } = newController(async () => {
      attempts.push(performance.now());
      if (attempts.length <= 4) throw new Error("transient failure");
      return undefined;
    });
    controller.start();
    controller.enqueue("ns/flaky");
    await until(() => attempts.length === 5);
    await controller.stop();
    const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] ?? 0));
    // 20 ms doubling per failure; timers may fire a little late, never early.
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(20 * 2 ** i - 1);
    expect(gaps[3]).toBeGreaterThan(gaps[0] ?? 0);
    expect(controller.queue.numRequeues("ns/flaky")).toBe(0);
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="test"} 4');
    expect(text).toContain('controller_runtime_reconcile_total{controller="test",result="error"} 4');
    expect(text).toContain('controller_runtime_reconcile_total{controller="test",result="success"} 1');
    expect(text).toContain('workqueue_retries_total{name="test"} 4');
  });

  it("requeues after the asked delay", async () => {
    const attempts: number[] = [];
    const { controller, registry } = newController(async () => {
      attempts.push(performance.now());
      return attempts.length === 1 ? { requeueAfter: 50 } : undefined;
    });
    controller.start();
    controller.enqueue("a");
    await until(() => attempts.length === 2);
    await controller.stop();
    expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(45);
    expect(await registry.metrics()).toContain(
      'controller_runtime_reconcile_total{controller="test",result="requeue_after"} 1',
    );
  });

  it("on stop lets in-flight reconciles finish and starts no new ones", async () => {
    let finished = 0;
    let started = 0;
    const { controller, registry } = newController(async () => {
      started++;
      await delay(100);
      finished++;
      return undefined;
    }, 2);
    controller.start();
    for (const key of ["a", "b", "c", "d"]) controller.enqueue(key);
    await until(() => started === 2);
    expect(await registry.metrics()).toContain('controller_runtime_active_workers{controller="test"} 2');
    await controller.stop();
    expect(finished).toBe(2);
    expect(started).toBe(2);
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_max_concurrent_reconciles{controller="test"} 2');
    expect(text).toContain('controller_runtime_active_workers{controller="test"} 0');
  });

  it("exports every controller-runtime and workqueue series at 0 before it has done anything", async () => {
    const { registry } = newController(async () => undefined, 3);
    const text = await registry.metrics();
    for (const line of [
      'controller_runtime_reconcile_total{controller="test",result="success"} 0',
      'controller_runtime_reconcile_total{controller="test",result="error"} 0',
      'controller_runtime_reconcile_total{controller="test",result="requeue"} 0',
      'controller_runtime_reconcile_total{controller="test",result="requeue_after"} 0',
      'controller_runtime_reconcile_errors_total{controller="test"} 0',
      'controller_runtime_terminal_reconcile_errors_total{controller="test"} 0',
      'controller_runtime_reconcile_panics_total{controller="test"} 0',
      'controller_runtime_active_workers{controller="test"} 0',
      'controller_runtime_max_concurrent_reconciles{controller="test"} 3',
      'workqueue_depth{name="test"} 0',
      'workqueue_adds_total{name="test"} 0',
      'workqueue_retries_total{name="test"} 0',
      'workqueue_queue_duration_seconds_count{name="test"} 0',
      'workqueue_work_duration_seconds_count{name="test"} 0',
      'workqueue_unfinished_work_seconds{name="test"} 0',
      'workqueue_longest_running_processor_seconds{name="test"} 0',
    ]) {
      expect(text.split("\n")).toContain(line);
    }
    // As in controller-runtime, the reconcile time histogram starts with the first reconcile.
    expect(text).not.toContain('controller_runtime_reconcile_time_seconds_count{controller="test"}');
  });

  it("keeps the series of its first queue when a restart makes a new one", async () => {
    const { controller, registry } = newController(async () => undefined);
    controller.start();
    controller.enqueue("a");
    await until(() => controller.queue.length === 0 && controller.queue.inFlight === 0);
    await controller.stop();
    controller.start();
    await controller.stop();
    const text = await registry.metrics();
    expect(text).toContain('workqueue_adds_total{name="test"} 1');
    expect(text).toContain('workqueue_queue_duration_seconds_count{name="test"} 1');
    expect(text).toContain('controller_runtime_reconcile_total{controller="test",result="success"} 1');
  });
});
