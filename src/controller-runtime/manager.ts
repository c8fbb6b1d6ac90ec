/**
 * Runs caches, controllers, probes, metrics and leader election as one process (controller-runtime's
 * Manager).
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import type { ResourceType } from "../apis/resource-types.js";
import type { ClusterAccess } from "./cluster-access.js";
import type { Controller } from "./controller.js";
import { type RunningServer, serveMetrics, serveProbes } from "./health.js";
import { Informer, listWatchFor } from "./informer.js";
import { KubeClient } from "./kube-client.js";
import { LeaderFencedKubeClient } from "./leader-election/fence.js";
import { LeaderForLife, type LeaderForLifeOptions } from "./leader-election/for-life.js";
import { type LeaderElectionOptions, LeaderElector, type LeaderLock } from "./leader-election/lease.js";
import { createLogger } from "./logging.js";
import { createMetricsRegistry, type RuntimeMetrics } from "./metrics.js";
import type { IndexFunc } from "./store.js";

/** Something that runs beside the controllers on every replica, leader or not (the webhook server). */
export interface Runnable {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface ManagerOptions {
  /** The API server and credentials (our kubeconfig loader, or a client-node `KubeConfig`). */
  kubeConfig: ClusterAccess;
  /** `/metrics` port (upstream `:8080`); `undefined` serves no metrics. */
  metricsPort?: number;
  /** `/healthz` and `/readyz` port (upstream `:8081`); `undefined` serves no probes. */
  healthPort?: number;
  /**
   * Address both servers listen on unless `metricsHost` / `healthHost` say otherwise; default all interfaces.
   */
  bindHost?: string;
  metricsHost?: string;
  healthHost?: string;
  /**
   * Hold a lock before reconciling: a Lease (default; a leader that cannot renew steps down and campaigns
   * again) or a leader-for-life ConfigMap. Without it this process reconciles at once.
   */
  leaderElection?: LeaseElection | LeaderForLifeElection;
  /** A lock of another kind; takes the place of `leaderElection`. */
  leaderLock?: LeaderLock;
  /** How long to wait for the caches' first lists before giving up (controller-runtime: 2 min). */
  cacheSyncTimeoutMs?: number;
  /** Registry and metrics to use; by default a fresh registry with Node's process metrics. */
  metrics?: { registry: Registry; metrics: RuntimeMetrics };
}

export type LeaseElection = { type?: "lease" } & Omit<
  LeaderElectionOptions,
  "client" | "metrics" | "identity"
> & { identity?: string };

export type LeaderForLifeElection = { type: "life" } & Omit<LeaderForLifeOptions, "client" | "metrics">;

export interface InformerRequest<T> {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  indexers?: Record<string, IndexFunc<T>>;
}

/** A process identity unique across restarts: host name plus a random suffix, as client-go's default. */
export function defaultIdentity(): string {
  return `${process.env.POD_NAME ?? os.hostname()}_${randomBytes(6).toString("hex")}`;
}

/**
 * Wires caches, controllers and extra servers into one process: starts the caches, waits for them to sync,
 * then (as leader, if leader election is on) starts the controllers; on shutdown stops taking work, lets the
 * reconciles in flight finish and releases the lock.
 *
 * A leader whose Lease lapsed steps down in-process: its client refuses writes from that moment, the
 * controllers drain and stop, the caches keep running, and the lock campaigns again; leading again starts the
 * controllers with fresh queues holding every cached key.
 */
export class Manager {
  readonly client: KubeClient;
  readonly metrics: RuntimeMetrics;
  readonly registry: Registry;
  readonly #options: ManagerOptions;
  readonly #log = createLogger("manager");
  readonly #informers = new Map<string, Informer<KubernetesObject>>();
  readonly #controllers: Controller[] = [];
  readonly #runnables: Runnable[] = [];
  readonly #servers: RunningServer[] = [];
  #metricsServer: RunningServer | undefined;
  #probeServer: RunningServer | undefined;
  #lock: LeaderLock | undefined;
  #ready = false;
  #controllersRunning = false;
  #stepDowns = 0;
  #stopping: Promise<void> | undefined;

  constructor(options: ManagerOptions) {
    this.#options = options;
    const { registry, metrics } = options.metrics ?? createMetricsRegistry();
    this.registry = registry;
    this.metrics = metrics;
    const elected = options.leaderElection !== undefined || options.leaderLock !== undefined;
    this.client = elected
      ? new LeaderFencedKubeClient(options.kubeConfig, metrics, () => this.#lock?.holdsLock() ?? false)
      : new KubeClient(options.kubeConfig, metrics);
  }

  /**
   * The shared informer for a kind and scope; asking twice returns the same cache. Each caller may add indexers
   * of its own (by distinct names); an indexer name already declared is kept as first declared.
   */
  informer<T extends KubernetesObject>(type: ResourceType, request: InformerRequest<T> = {}): Informer<T> {
    const id = [
      type.apiVersion,
      type.plural,
      request.namespace,
      request.labelSelector,
      request.fieldSelector,
    ].join("|");
    const existing = this.#informers.get(id) as Informer<T> | undefined;
    if (existing !== undefined) {
      for (const [name, indexFunc] of Object.entries(request.indexers ?? {})) {
        if (!existing.hasIndexer(name)) existing.store.addIndexer(name, indexFunc);
      }
      return existing;
    }
    const informer = new Informer<T>({ type, listWatcher: listWatchFor<T>(this.client, type), ...request });
    this.#informers.set(id, informer as unknown as Informer<KubernetesObject>);
    return informer;
  }

  addController(controller: Controller): void {
    this.#controllers.push(controller);
  }

  addRunnable(runnable: Runnable): void {
    this.#runnables.push(runnable);
  }

  /** Bound ports of the metrics and probe servers once started (useful when asked for port 0). */
  get ports(): { metrics?: number; health?: number } {
    return { metrics: this.#metricsServer?.port, health: this.#probeServer?.port };
  }

  isReady(): boolean {
    return this.#ready;
  }

  isLeader(): boolean {
    return (
      this.#lock?.isLeader() ?? (this.#options.leaderElection === undefined && !this.#options.leaderLock)
    );
  }

  /** How often this process stepped down after losing its Lease. */
  get stepDowns(): number {
    return this.#stepDowns;
  }

  /** Resolves once the caches are synced and leader election (if any) runs; rejects if the sync times out. */
  async start(): Promise<void> {
    const { metricsPort, healthPort, bindHost, cacheSyncTimeoutMs = 120_000 } = this.#options;
    const { metricsHost = bindHost, healthHost = bindHost } = this.#options;
    if (metricsPort !== undefined) {
      this.#metricsServer = await serveMetrics({
        port: metricsPort,
        host: metricsHost,
        registry: this.registry,
      });
      this.#servers.push(this.#metricsServer);
    }
    if (healthPort !== undefined) {
      this.#probeServer = await serveProbes({
        port: healthPort,
        host: healthHost,
        isReady: () => this.#ready,
      });
      this.#servers.push(this.#probeServer);
    }
    for (const runnable of this.#runnables) await runnable.start();
    for (const informer of this.#informers.values()) informer.start();
    const synced = await Promise.all(
      [...this.#informers.values()].map((i) => i.waitForSync(cacheSyncTimeoutMs)),
    );
    const unsynced = [...this.#informers.values()].filter((_, i) => !synced[i]).map((i) => i.type.kind);
    if (unsynced.length > 0) {
      throw new Error(
        `timed out after ${cacheSyncTimeoutMs} ms waiting for caches to sync: ${unsynced.join(", ")}`,
      );
    }
    this.#ready = true;
    this.#log.info({ caches: this.#informers.size }, "caches synced");
    this.#lock = this.#options.leaderLock ?? this.#createLock();
    if (this.#lock === undefined) {
      this.#startControllers();
      return;
    }
    this.#lock.start({
      onStartedLeading: () => this.#startControllers(),
      onStoppedLeading: () => this.#stepDown(),
    });
  }

  #createLock(): LeaderLock | undefined {
    const election = this.#options.leaderElection;
    if (election === undefined) return undefined;
    // The lock's own writes must pass while the controllers' are fenced.
    const client = new KubeClient(this.#options.kubeConfig, this.metrics);
    if (election.type === "life") return new LeaderForLife({ ...election, client, metrics: this.metrics });
    return new LeaderElector({
      ...election,
      identity: election.identity ?? defaultIdentity(),
      client,
      metrics: this.metrics,
    });
  }
  /** Stops taking work, waits for reconciles in flight, releases the lock, then stops caches and servers. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** On SIGTERM or SIGINT: a graceful `stop`, then exit; a second signal exits at once. */
  stopOnSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      this.#log.info({ signal }, "shutting down");
      process.once(signal, () => process.exit(1));
      this.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          this.#log.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }

  #startControllers(): void {
    if (this.#controllersRunning || this.#stopping !== undefined) return;
    this.#controllersRunning = true;
    for (const controller of this.#controllers) controller.start();
  }

  async #stopControllers(): Promise<void> {
    await Promise.all(this.#controllers.map((controller) => controller.stop()));
    this.#controllersRunning = false;
  }

  async #stepDown(): Promise<void> {
    this.#stepDowns++;
    this.#log.error("leader election lost; stepping down: stopping the controllers, then campaigning again");
    await this.#stopControllers();
    this.#log.info("controllers stopped; campaigning for leadership again");
  }

  async #stop(): Promise<void> {
    this.#ready = false;
    await this.#stopControllers();
    await this.#lock?.stop();
    await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
    for (const runnable of this.#runnables) await runnable.stop();
    await Promise.all(this.#servers.map((server) => server.close()));
    this.#log.info("stopped");
  }
}
