/**
 * A reconciler run by N workers over a keyed work queue fed by watched sources (controller-runtime's
 * Controller).
 */
import { randomUUID } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { EventHandler } from "./informer.js";
import { createLogger, type Logger } from "./logging.js";
import { defaultMetrics, type RuntimeMetrics } from "./metrics.js";
import type { RateLimiter } from "./rate-limiter.js";
import { objectKey, type Store } from "./store.js";
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
 * Reports object events as an informer does (an `Informer`, `NamedSecrets`); with a store, its cached
 * objects.
 */
export interface ObjectSource<T extends KubernetesObject> {
  addEventHandler(handler: EventHandler<T>): void;
  readonly store?: Store<T>;
}

/**
 * Reports each change as one value (the live config, the served namespaces, the models' demands, mesh
 * events).
 */
export interface ChangeSource<C> {
  onChange(listener: (change: C) => void): void;
}

/** How a watch queues an object source's events; the defaults are controller-runtime's. */
export interface WatchOptions<T> {
  /** Priority of the objects of the source's first list (default `low`: behind live changes). */
  initialPriority?: Priority;
  /**
   * Which objects of an update are mapped, in that order (default `new-then-old`, so a moved reference frees its
   * old target too).
   */
  onUpdate?: "new" | "new-then-old" | "old-then-new";
  /** Whether an update is worth a look at all (default: every update). */
  updateMatters?: (before: T, after: T) => boolean;
  /**
   * Whether a restarted controller queues the keys of every cached object (default: when the source has a
   * store).
   */
  requeueOnRestart?: boolean;
}

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
   * Queues the keys of a source's object events: live changes at high priority, the first list's objects at
   * `initialPriority`; see `WatchOptions`.
   */
  watch<T extends KubernetesObject>(
    source: ObjectSource<T>,
    mapper: KeyMapper<T> = (object) => [objectKey(object)],
    options: WatchOptions<T> = {},
  ): void {
    const initialPriority = options.initialPriority ?? "low";
    const onUpdate = options.onUpdate ?? "new-then-old";
    const enqueue = (object: T, priority: Priority) => {
      for (const key of mapper(object)) this.enqueue(key, priority);
    };
    source.addEventHandler({
      onAdd: (object, inInitialList) => enqueue(object, inInitialList ? initialPriority : "high"),
      onUpdate: (oldObject, newObject) => {
        if (options.updateMatters !== undefined && !options.updateMatters(oldObject, newObject)) return;
        if (onUpdate === "old-then-new") enqueue(oldObject, "high");
        enqueue(newObject, "high");
        if (onUpdate === "new-then-old" && oldObject !== newObject) enqueue(oldObject, "high");
      },
      onDelete: (object) => enqueue(object, "high"),
    });
    const { store } = source;
    if (store === undefined || options.requeueOnRestart === false) return;
    this.#requeueCaches.push(() => {
      for (const object of store.list()) enqueue(object, "low");
    });
  }

  /** Queues the keys a change maps to, at the priority it says (default high). */
  watchChanges<C>(
    source: ChangeSource<C>,
    mapper: (change: C) => readonly string[],
    priority: (change: C) => Priority = () => "high",
  ): void {
    source.onChange((change) => {
      const at = priority(change);
      for (const key of mapper(change)) this.enqueue(key, at);
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
