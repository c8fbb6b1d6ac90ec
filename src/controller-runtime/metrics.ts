/** The controller's Prometheus metrics, under the names and labels of controller-runtime and client-go. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The `result` label values of `controller_runtime_reconcile_total`. */
export const RECONCILE_RESULTS = ["success", "error", "requeue", "requeue_after"] as const;

/**
 * Prometheus metrics under the names and labels controller-runtime and client-go register, so dashboards and
 * alerts written for the Go controller keep working.
 */
export class RuntimeMetrics {
  readonly reconcileTotal: Counter<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly terminalReconcileErrors: Counter<"controller">;
  readonly reconcilePanics: Counter<"controller">;
  readonly reconcileTime: Histogram<"controller">;
  readonly activeWorkers: Gauge<"controller">;
  readonly maxConcurrentReconciles: Gauge<"controller">;
  readonly workqueueDepth: Gauge<"name">;
  readonly workqueueAdds: Counter<"name">;
  readonly workqueueQueueDuration: Histogram<"name">;
  readonly workqueueWorkDuration: Histogram<"name">;
  readonly workqueueRetries: Counter<"name">;
  readonly workqueueUnfinishedWork: Gauge<"name">;
  readonly workqueueLongestRunning: Gauge<"name">;
  readonly restClientRequests: Counter<"code" | "method" | "host">;
  readonly leaderElectionMasterStatus: Gauge<"name">;
  /** Per queue name, reports its in-flight ages in seconds when scraped. */
  readonly #inFlightAges = new Map<string, () => number[]>();
  readonly #initialisedControllers = new Set<string>();
  readonly #initialisedQueues = new Set<string>();

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.reconcileTotal = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.terminalReconcileErrors = new Counter({
      name: "controller_runtime_terminal_reconcile_errors_total",
      help: "Total number of terminal reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.reconcilePanics = new Counter({
      name: "controller_runtime_reconcile_panics_total",
      help: "Total number of reconciliation panics per controller",
      labelNames: ["controller"],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
        1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
      ],
      registers,
    });
    this.activeWorkers = new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: ["controller"],
      registers,
    });
    this.maxConcurrentReconciles = new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: ["controller"],
      registers,
    });
    this.workqueueDepth = new Gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue",
      labelNames: ["name"],
      registers,
    });
    this.workqueueAdds = new Counter({
      name: "workqueue_adds_total",
      help: "Total number of adds handled by workqueue",
      labelNames: ["name"],
      registers,
    });
    const durationBuckets = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);
    this.workqueueQueueDuration = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: ["name"],
      buckets: durationBuckets,
      registers,
    });
    this.workqueueWorkDuration = new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes",
      labelNames: ["name"],
      buckets: durationBuckets,
      registers,
    });
    this.workqueueRetries = new Counter({
      name: "workqueue_retries_total",
      help: "Total number of retries handled by workqueue",
      labelNames: ["name"],
      registers,
    });
    const inFlightAges = this.#inFlightAges;
    this.workqueueUnfinishedWork = new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help:
        "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. " +
        "Large values indicate stuck threads.",
      labelNames: ["name"],
      registers,
      collect() {
        for (const [name, ages] of inFlightAges)
          this.set(
            { name },
            ages().reduce((sum, age) => sum + age, 0),
          );
      },
    });
    this.workqueueLongestRunning = new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames: ["name"],
      registers,
      collect() {
        for (const [name, ages] of inFlightAges) this.set({ name }, Math.max(0, ...ages()));
      },
    });
    this.restClientRequests = new Counter({
      name: "rest_client_requests_total",
      help: "Number of HTTP requests, partitioned by status code, method, and host.",
      labelNames: ["code", "method", "host"],
      registers,
    });
    this.leaderElectionMasterStatus = new Gauge({
      name: "leader_election_master_status",
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.",
      labelNames: ["name"],
      registers,
    });
  }

  /**
   * Creates a controller's series at 0, as controller-runtime's `initMetrics` does
   * (`pkg/internal/controller/controller.go`), so that rates and `absent()` alerts work before its first
   * reconcile. This runtime has no terminal errors and no panics (an exception is a reconcile error), so those two
   * counters stay at 0. `controller_runtime_reconcile_time_seconds` appears with the first reconcile, as there.
   */
  initController(controller: string, workers: number): void {
    if (this.#initialisedControllers.has(controller)) return;
    this.#initialisedControllers.add(controller);
    for (const result of RECONCILE_RESULTS) this.reconcileTotal.inc({ controller, result }, 0);
    this.reconcileErrors.inc({ controller }, 0);
    this.terminalReconcileErrors.inc({ controller }, 0);
    this.reconcilePanics.inc({ controller }, 0);
    this.maxConcurrentReconciles.set({ controller }, workers);
    this.activeWorkers.set({ controller }, 0);
  }

  /**
   * Creates a queue's `workqueue_*` series at 0, as client-go does when it makes a named queue (its metrics
   * provider hands out every series of the name up front). Only once per name: a restarted controller's new queue
   * continues the old one's series.
   */
  initQueue(name: string): void {
    if (this.#initialisedQueues.has(name)) return;
    this.#initialisedQueues.add(name);
    this.workqueueDepth.set({ name }, 0);
    this.workqueueAdds.inc({ name }, 0);
    this.workqueueRetries.inc({ name }, 0);
    this.workqueueQueueDuration.zero({ name });
    this.workqueueWorkDuration.zero({ name });
  }

  /** Lets a work queue report the ages of its in-flight items at scrape time. */
  trackInFlight(queueName: string, ages: () => number[]): void {
    this.#inFlightAges.set(queueName, ages);
  }
}

/** A registry with the runtime metrics and Node's default process metrics, as served on `/metrics`. */
export function createMetricsRegistry(): { registry: Registry; metrics: RuntimeMetrics } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return { registry, metrics: new RuntimeMetrics(registry) };
}

let processMetrics: RuntimeMetrics | undefined;

/** The process-wide metrics that `/metrics` serves; created on first use. */
export function defaultMetrics(): RuntimeMetrics {
  processMetrics ??= createMetricsRegistry().metrics;
  return processMetrics;
}
