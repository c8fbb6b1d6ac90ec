import { randomUUID } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Informer } from "./informer.js";
import { createLogger, type Logger } from "./logging.js";
import { defaultMetrics, type RuntimeMetrics } from "./metrics.js";
import type { RateLimiter } from "./rate-limiter.js";
import { objectKey } from "./store.js";
import { type Priority, WorkQueue } from "./workqueue.js";

export interface ReconcileResult {
  /** Reconcile the key again after this many milliseconds (the backoff of the key is reset). */
  requeueAfter?: number;
  /** Reconcile the key again after its backoff, without counting an error. */
  requeue?: boolean;
}

export interface ReconcileContext {
  /** Carries the controller name, the key and a reconcile id on every line. */
  log: Logger;
}

/** Brings the world in line with the object named by `key` (`namespace/name` or `name`). */
export interface Reconciler {
  reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult | undefined>;
}

export interface ControllerOptions {
  /** Names the controller in logs and in metric labels (`controller`, workqueue `name`). */
  name: string;
  reconciler: Reconciler;
  /** Concurrent reconciles; different keys only, never the same key twice. */
  workers?: number;
  rateLimiter?: RateLimiter;
  metrics?: RuntimeMetrics;
  /** Logger name, for example `controllers.Predictor`; defaults to `controller.<name>`. */
  loggerName?: string;
}

/** Maps an object event to the keys to reconcile; by default the object's own key. */
export type KeyMapper<T> = (object: T) => readonly string[];

/**
 * Runs a reconciler over a keyed work queue with N workers. A returned error or a thrown exception is logged
 * with its key and retried with per-key exponential backoff; it never ends the process. It can be stopped and
 * started again (a leader that stepped down and leads again): a restart takes a fresh queue holding the keys
 * the old queue never handed out, the keys queued while stopped, and every key of the watched caches.
 */
export class Controller {
  readonly name: string;
  readonly workers: number;
  readonly #options: ControllerOptions;
  readonly #reconciler: Reconciler;
  readonly #metrics: RuntimeMetrics;
  readonly #log: Logger;
  /** Per watched informer: queues the keys of every object in its cache. */
  readonly #requeueCaches: Array<() => void> = [];
  /** Keys queued while stopped, for the next run. */
  readonly #missed = new Set<string>();
  #stopped = false;
  #queue: WorkQueue;
  #running: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#options = options;
    this.workers = Math.max(1, options.workers ?? 1);
    this.#reconciler = options.reconciler;
    this.#metrics = options.metrics ?? defaultMetrics();
    this.#log = createLogger(options.loggerName ?? `controller.${options.name}`, {
      controller: options.name,
    });
    // From construction rather than from start (controller-runtime's moment, after winning leadership), so a
    // standby replica exports the series too (decision 0188).
    this.#metrics.initController(this.name, this.workers);
    this.#queue = this.#newQueue();
  }

  /** The queue of the current run (a new one after each restart). */
  get queue(): WorkQueue {
    return this.#queue;
  }

  /**
   * Queues keys for the informer's events. Objects of the informer's first list queue at low priority, behind
   * live changes. For an update both the old and the new object are mapped, so a moved reference frees its
   * old target too.
   */
  watch<T extends KubernetesObject>(
    informer: Informer<T>,
    mapper: KeyMapper<T> = (object) => [objectKey(object)],
  ): void {
    const enqueue = (object: T, priority: Priority) => {
      for (const key of mapper(object)) this.enqueue(key, priority);
    };
    informer.addEventHandler({
      onAdd: (object, inInitialList) => enqueue(object, inInitialList ? "low" : "high"),
      onUpdate: (oldObject, newObject) => {
        enqueue(newObject, "high");
        if (oldObject !== newObject) enqueue(oldObject, "high");
      },
      onDelete: (object) => enqueue(object, "high"),
    });
    this.#requeueCaches.push(() => {
      for (const object of informer.store.list()) enqueue(object, "low");
    });
  }

  /** Queues a key from any other source of events (a ModelMesh registry watch, a timer). */
  enqueue(key: string, priority: Priority = "high"): void {
    if (this.#stopped) this.#missed.add(key);
    else this.#queue.add(key, priority);
  }

  start(): void {
    if (this.#running.length > 0) return;
    this.#stopped = false;
    if (this.#queue.shuttingDown) {
      const previous = this.#queue;
      this.#queue = this.#newQueue();
      for (const key of [...previous.pendingKeys(), ...this.#missed]) this.#queue.add(key, "high");
      this.#missed.clear();
      for (const requeue of this.#requeueCaches) requeue();
    }
    this.#metrics.maxConcurrentReconciles.set({ controller: this.name }, this.workers);
    this.#metrics.activeWorkers.set({ controller: this.name }, 0);
    this.#log.info({ workers: this.workers }, "starting workers");
    this.#running = Array.from({ length: this.workers }, () => this.#work());
  }

  /** Stops taking keys and resolves once every reconcile in flight has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#log.info({ inFlight: this.queue.inFlight }, "stopping; waiting for reconciles in flight");
    await this.queue.shutDownWithDrain();
    await Promise.all(this.#running);
    this.#running = [];
    this.#log.info("all workers finished");
  }

  #newQueue(): WorkQueue {
    return new WorkQueue({
      name: this.name,
      rateLimiter: this.#options.rateLimiter,
      metrics: this.#metrics,
    });
  }

  async #work(): Promise<void> {
    const queue = this.#queue;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      await this.#reconcileOne(queue, key);
    }
  }

  async #reconcileOne(queue: WorkQueue, key: string): Promise<void> {
    const controller = this.name;
    const log = this.#log.child({ key, reconcileID: randomUUID() });
    this.#metrics.activeWorkers.inc({ controller });
    const started = performance.now();
    try {
      const result = (await this.#reconciler.reconcile(key, { log })) ?? {};
      if (result.requeueAfter !== undefined && result.requeueAfter > 0) {
        queue.forget(key);
        queue.addAfter(key, result.requeueAfter);
        this.#metrics.reconcileTotal.inc({ controller, result: "requeue_after" });
      } else if (result.requeue === true) {
        queue.addRateLimited(key);
        this.#metrics.reconcileTotal.inc({ controller, result: "requeue" });
      } else {
        queue.forget(key);
        this.#metrics.reconcileTotal.inc({ controller, result: "success" });
      }
    } catch (error) {
      this.#metrics.reconcileErrors.inc({ controller });
      this.#metrics.reconcileTotal.inc({ controller, result: "error" });
      log.error({ err: error, retries: queue.numRequeues(key) }, "Reconciler error");
      queue.addRateLimited(key);
    } finally {
      this.#metrics.reconcileTime.observe({ controller }, (performance.now() - started) / 1000);
      this.#metrics.activeWorkers.dec({ controller });
      queue.done(key);
    }
  }
}
