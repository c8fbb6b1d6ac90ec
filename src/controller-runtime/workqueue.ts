/** A keyed, de-duplicating work queue with per-key backoff and two priorities (client-go's workqueue). */
import type { RuntimeMetrics } from "./metrics.js";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate-limiter.js";

/**
 * Live events go before the keys of an informer's initial list, so a restart does not delay fresh changes;
 * `urgent` goes before both: news a user waits to see that costs one cheap reconcile (a load that has ended, while
 * a burst of new models fills the queue).
 */
export type Priority = "urgent" | "high" | "low";

const RANK: Record<Priority, number> = { urgent: 2, high: 1, low: 0 };

export interface WorkQueueOptions {
  /** Names the queue in metrics (`workqueue_*{name}`); controllers use their own name. */
  name: string;
  rateLimiter?: RateLimiter;
  metrics?: RuntimeMetrics;
}

/**
 * A keyed, de-duplicating work queue with client-go's semantics: a key waits at most once; a key is handed to
 * at most one worker at a time; a key added while a worker holds it is handed out once more after `done`.
 */
export class WorkQueue {
  readonly name: string;
  readonly #rateLimiter: RateLimiter;
  readonly #metrics: RuntimeMetrics | undefined;
  /** Keys waiting to be handed out, with their priority: the truth the FIFOs below are checked against. */
  readonly #waiting = new Map<string, Priority>();
  /** Arrival order per priority; may hold stale entries (a promoted key, a key already taken) that are skipped. */
  readonly #fifo: Record<Priority, Fifo> = { urgent: new Fifo(), high: new Fifo(), low: new Fifo() };
  /** Keys that need processing, whether they wait in `#ready` or behind their own in-flight run. */
  readonly #dirty = new Map<string, Priority>();
  /** Keys handed to a worker, with the time they were handed out. */
  readonly #processing = new Map<string, number>();
  readonly #addedAt = new Map<string, number>();
  readonly #delayed = new Map<string, { readyAt: number; timer: NodeJS.Timeout }>();
  readonly #waitingWorkers: Array<(key: string | undefined) => void> = [];
  #drainWaiters: Array<() => void> = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter();
    this.#metrics = options.metrics;
    this.#metrics?.initQueue(this.name);
    this.#metrics?.trackInFlight(this.name, () => {
      const now = performance.now();
      return [...this.#processing.values()].map((start) => (now - start) / 1000);
    });
  }

  add(key: string, priority: Priority = "high"): void {
    if (this.#shuttingDown) return;
    const current = this.#dirty.get(key);
    if (current !== undefined) {
      if (RANK[priority] > RANK[current]) {
        this.#dirty.set(key, priority);
        const waiting = this.#waiting.get(key);
        if (waiting !== undefined && RANK[priority] > RANK[waiting]) {
          this.#waiting.set(key, priority);
          this.#fifo[priority].push(key);
        }
      }
      return;
    }
    this.#metrics?.workqueueAdds.inc({ name: this.name });
    this.#dirty.set(key, priority);
    this.#addedAt.set(key, performance.now());
    if (this.#processing.has(key)) return;
    this.#enqueue(key, priority);
  }

  /** Adds the key once `delayMs` has passed; of several pending delays for one key the earliest wins. */
  addAfter(key: string, delayMs: number, priority: Priority = "high"): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key, priority);
      return;
    }
    const readyAt = performance.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key, priority);
    }, delayMs);
    this.#delayed.set(key, { readyAt, timer });
  }

  /** Adds the key after its backoff: each call without `forget` in between waits twice as long. */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics?.workqueueRetries.inc({ name: this.name });
    this.addAfter(key, this.#rateLimiter.when(key));
  }

  /** Ends the key's backoff, after it succeeded. */
  forget(key: string): void {
    this.#rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#rateLimiter.numRequeues(key);
  }

  /** The next key to process, waiting for one if needed; `undefined` once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#waitingWorkers.push(resolve));
  }

  /** Marks the key processed; if it was added meanwhile it is queued again. */
  done(key: string): void {
    const start = this.#processing.get(key);
    if (start === undefined) return;
    this.#processing.delete(key);
    this.#metrics?.workqueueWorkDuration.observe({ name: this.name }, (performance.now() - start) / 1000);
    const priority = this.#dirty.get(key);
    if (priority !== undefined && !this.#shuttingDown) this.#enqueue(key, priority);
    if (this.#processing.size === 0 && this.#shuttingDown) this.#resolveDrain();
  }

  /** Keys waiting to be handed out (not those in flight or delayed). */
  get length(): number {
    return this.#waiting.size;
  }

  get inFlight(): number {
    return this.#processing.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Every key the queue still holds: waiting, due again after its run in flight, or delayed. After `shutDown`
   * these are the keys it never handed out, for a successor queue to take over.
   */
  pendingKeys(): string[] {
    return [...new Set([...this.#dirty.keys(), ...this.#waiting.keys(), ...this.#delayed.keys()])];
  }

  /**
   * Stops handing out keys: waiting workers get `undefined`, new adds are ignored, pending delays cancelled.
   */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    // The delayed keys stay listed (see `pendingKeys`); only their timers go.
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    for (const worker of this.#waitingWorkers.splice(0)) worker(undefined);
    if (this.#processing.size === 0) this.#resolveDrain();
  }

  /** Shuts down and resolves once every key in flight is `done`. */
  shutDownWithDrain(): Promise<void> {
    const drained = new Promise<void>((resolve) => {
      if (this.#shuttingDown && this.#processing.size === 0) resolve();
      else this.#drainWaiters.push(resolve);
    });
    this.shutDown();
    return drained;
  }

  #enqueue(key: string, priority: Priority): void {
    this.#waiting.set(key, priority);
    this.#fifo[priority].push(key);
    this.#updateDepth();
    const worker = this.#waitingWorkers.shift();
    if (worker !== undefined) worker(this.#take());
  }

  #take(): string | undefined {
    const key = this.#next("urgent") ?? this.#next("high") ?? this.#next("low");
    if (key === undefined) return undefined;
    this.#waiting.delete(key);
    this.#dirty.delete(key);
    const now = performance.now();
    this.#processing.set(key, now);
    const addedAt = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    if (addedAt !== undefined) {
      this.#metrics?.workqueueQueueDuration.observe({ name: this.name }, (now - addedAt) / 1000);
    }
    this.#updateDepth();
    return key;
  }

  #next(priority: Priority): string | undefined {
    const fifo = this.#fifo[priority];
    for (let key = fifo.shift(); key !== undefined; key = fifo.shift()) {
      if (this.#waiting.get(key) === priority) return key;
    }
    return undefined;
  }

  #updateDepth(): void {
    this.#metrics?.workqueueDepth.set({ name: this.name }, this.length);
  }

  #resolveDrain(): void {
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }
}

/** An array queue with a moving head: O(1) shift, compacted once the consumed part dominates. */
class Fifo {
  #items: string[] = [];
  #head = 0;

  push(item: string): void {
    this.#items.push(item);
  }

  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
