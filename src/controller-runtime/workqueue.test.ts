import { describe, expect, it, vi } from "vitest";
import { createMetricsRegistry } from "./metrics.js";
import { ExponentialFailureRateLimiter } from "./rate-limiter.js";
import { WorkQueue } from "./workqueue.js";

function newQueue() {
  return new WorkQueue({ name: "test", rateLimiter: new ExponentialFailureRateLimiter(5, 1_000_000) });
}

describe("WorkQueue", () => {
  it("hands out keys in order and keeps one entry per waiting key", async () => {
    const queue = newQueue();
    for (const key of ["a", "b", "a", "c", "b"]) queue.add(key);
    expect(queue.length).toBe(3);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(["a", "b", "c"]);
  });

  it("never hands a key to two workers; a key added while in flight runs once more after done", async () => {
    const queue = newQueue();
    queue.add("a");
    expect(await queue.get()).toBe("a");
    queue.add("a");
    queue.add("a");
    expect(queue.length).toBe(0);
    let second: string | undefined;
    void queue.get().then((key) => {
      second = key;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    queue.done("a");
    await Promise.resolve();
    expect(second).toBe("a");
    queue.done("a");
    expect(queue.length).toBe(0);
  });

  it("wakes a waiting worker on add", async () => {
    const queue = newQueue();
    const next = queue.get();
    queue.add("x");
    expect(await next).toBe("x");
  });

  it("serves live events before initial-list keys and promotes a low key that becomes live", async () => {
    const queue = newQueue();
    queue.add("initial-1", "low");
    queue.add("initial-2", "low");
    queue.add("live");
    queue.add("initial-2", "high");
    const order = [await queue.get(), await queue.get(), await queue.get()];
    expect(order).toEqual(["live", "initial-2", "initial-1"]);
  });

  it("hands out a promoted key once, also when it comes back at low priority", async () => {
    const queue = newQueue();
    queue.add("a", "low");
    queue.add("b", "low");
    queue.add("a", "high");
    expect(await queue.get()).toBe("a");
    queue.done("a");
    queue.add("a", "low");
    const handedOut = [await queue.get(), await queue.get()];
    expect(handedOut.sort()).toEqual(["a", "b"]);
    expect(queue.length).toBe(0);
  });

  it("hands urgent keys out before live and initial ones, and promotes a waiting key to urgent", async () => {
    const queue = newQueue();
    queue.add("initial", "low");
    queue.add("live-1", "high");
    queue.add("live-2", "high");
    queue.add("ended", "urgent");
    queue.add("live-2", "urgent");
    const order = [await queue.get(), await queue.get(), await queue.get(), await queue.get()];
    expect(order).toEqual(["ended", "live-2", "live-1", "initial"]);
    expect(queue.length).toBe(0);
  });

  it("adds after a delay, and of two delays for one key the earlier wins", async () => {
    vi.useFakeTimers();
    try {
      const queue = newQueue();
      queue.addAfter("a", 1000);
      queue.addAfter("a", 100);
      queue.addAfter("a", 5000);
      vi.advanceTimersByTime(99);
      expect(queue.length).toBe(0);
      vi.advanceTimersByTime(1);
      expect(queue.length).toBe(1);
      expect(await queue.get()).toBe("a");
      queue.done("a");
      vi.advanceTimersByTime(10_000);
      expect(queue.length).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("backs off a failing key exponentially until forgotten", () => {
    vi.useFakeTimers();
    try {
      const queue = newQueue();
      const delays: number[] = [];
      for (let attempt = 0; attempt < 4; attempt++) {
        queue.addRateLimited("a");
        let waited = 0;
        while (queue.length === 0) {
          vi.advanceTimersByTime(1);
          waited++;
        }
        delays.push(waited);
        void queue.get();
        queue.done("a");
      }
      expect(delays).toEqual([5, 10, 20, 40]);
      expect(queue.numRequeues("a")).toBe(4);
      queue.forget("a");
      expect(queue.numRequeues("a")).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("on shutdown stops handing out work, ignores adds, and drains in-flight keys", async () => {
    const queue = newQueue();
    queue.add("a");
    queue.add("b");
    const inFlight = await queue.get();
    const waiting = queue.get();
    expect(await waiting).toBe("b");
    let drained = false;
    const drain = queue.shutDownWithDrain().then(() => {
      drained = true;
    });
    queue.add("c");
    expect(await queue.get()).toBeUndefined();
    expect(queue.length).toBe(0);
    queue.done(inFlight ?? "");
    await Promise.resolve();
    expect(drained).toBe(false);
    queue.done("b");
    await drain;
    expect(drained).toBe(true);
  });

  it("resolves parked workers with undefined on shutdown", async () => {
    const queue = newQueue();
    const parked = [queue.get(), queue.get()];
    queue.shutDown();
    expect(await Promise.all(parked)).toEqual([undefined, undefined]);
    await queue.shutDownWithDrain();
  });

  it("lists the keys it never handed out after shutdown: waiting, due again, delayed", async () => {
    const queue = newQueue();
    queue.add("in-flight");
    const taken = await queue.get();
    queue.add("in-flight");
    queue.add("done");
    queue.add("waiting");
    queue.addAfter("delayed", 60_000);
    const done = await queue.get();
    expect(done).toBe("done");
    queue.done(done ?? "");
    const drain = queue.shutDownWithDrain();
    queue.add("after-shutdown");
    queue.done(taken ?? "");
    await drain;
    expect(queue.pendingKeys().sort()).toEqual(["delayed", "in-flight", "waiting"]);
  });

  it("reports depth, adds, retries and in-flight ages in the workqueue metrics", async () => {
    const { registry, metrics } = createMetricsRegistry();
    const queue = new WorkQueue({ name: "metered", metrics });
    queue.add("a");
    queue.add("b");
    queue.add("a");
    queue.addRateLimited("c");
    const key = await queue.get();
    const text = await registry.metrics();
    expect(text).toContain('workqueue_depth{name="metered"} 1');
    expect(text).toContain('workqueue_adds_total{name="metered"} 2');
    expect(text).toContain('workqueue_retries_total{name="metered"} 1');
    expect(text).toMatch(/workqueue_longest_running_processor_seconds\{name="metered"\} \d/);
    expect(text).toContain('workqueue_queue_duration_seconds_count{name="metered"} 1');
    queue.done(key ?? "");
    expect(await registry.metrics()).toContain('workqueue_work_duration_seconds_count{name="metered"} 1');
    queue.shutDown();
  });
});
