/** Leader election on a coordination.k8s.io Lease, as client-go's LeaderElector. */
import type { V1Lease, V1LeaseSpec } from "@kubernetes/client-node";
import { LEASES } from "../../apis/resource-types.js";
import { sleep } from "../backoff.js";
import { isStatus, type KubeClient, resourcePath } from "../kube-client.js";
import { createLogger, type Logger } from "../logging.js";
import { defaultMetrics, type RuntimeMetrics } from "../metrics.js";

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  /** Lease name; upstream uses `modelmesh-controller-leader-lock`. */
  name: string;
  /** Unique per process, for example the pod name plus a random suffix. */
  identity: string;
  /** How long a lease holds without renewal before others may take it (controller-runtime: 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failing renewal before it gives up leadership (10 s). */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew (2 s). */
  retryPeriodMs?: number;
  metrics?: RuntimeMetrics;
}

export interface LeadershipCallbacks {
  onStartedLeading(): void;
  /**
   * Leadership ended while the process runs (a Lease not renewed within the renew deadline): stop acting as
   * leader. The lock campaigns again once the returned promise resolves.
   */
  onStoppedLeading(): Promise<void> | void;
}

/** A lock one process holds at a time: the Lease below, or the leader-for-life ConfigMap. */
export interface LeaderLock {
  start(callbacks: LeadershipCallbacks): void;
  /** Stops competing and, if leading, releases the lock so that another candidate takes over at once. */
  stop(): Promise<void>;
  isLeader(): boolean;
  /** Whether this process may write as leader now: it leads and its hold on the lock has not lapsed. */
  holdsLock(): boolean;
}

/** RFC 3339 with microseconds, the `MicroTime` format the API server expects in a Lease. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function sameRecord(a: V1LeaseSpec | undefined, b: V1LeaseSpec | undefined): boolean {
  return (
    a?.holderIdentity === b?.holderIdentity &&
    String(a?.renewTime ?? "") === String(b?.renewTime ?? "") &&
    a?.leaseTransitions === b?.leaseTransitions
  );
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, following client-go: a lease counts as expired when its
 * record has not changed for its duration as measured on this process's own clock, so clock skew between
 * candidates does not matter. Writes are compare-and-swap on the Lease's resourceVersion.
 *
 * A leader holds the lock until the renew deadline after the start of its last successful renewal (by the
 * monotonic clock); past that it steps down and campaigns again. Since others wait a whole lease duration (longer
 * than the renew deadline) after they last saw the record change, they cannot lead before it has stepped down.
 */
export class LeaderElector implements LeaderLock {
  readonly #options: Required<Omit<LeaderElectionOptions, "metrics">>;
  readonly #metrics: RuntimeMetrics;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #observedRecord: V1LeaseSpec | undefined;
  #observedAt = 0;
  /** When the lease another candidate holds expires, by this process's clock (0 when unknown). */
  #heldUntil = 0;
  #leading = false;
  /**
   * Until when (monotonic clock) the last successful acquisition or renewal entitles this process to lead.
   */
  #validUntil = 0;
  #loop: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#options = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      ...options,
    };
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = this.#options;
    if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs)) {
      throw new Error(
        `leader election needs lease duration > renew deadline > retry period; got ${leaseDurationMs} ms, ${renewDeadlineMs} ms, ${retryPeriodMs} ms`,
      );
    }
    this.#metrics = options.metrics ?? defaultMetrics();
    this.#log = createLogger("leader-election", {
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
    this.#metrics.leaderElectionMasterStatus.set({ name: options.name }, 0);
  }

  isLeader(): boolean {
    return this.#leading;
  }

  holdsLock(): boolean {
    return this.#leading && performance.now() < this.#validUntil;
  }

  start(callbacks: LeadershipCallbacks): void {
    this.#loop ??= this.#run(callbacks, this.#abort.signal);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    if (!this.#leading) return;
    this.#setLeading(false);
    try {
      await this.#release();
      this.#log.info("released the lease");
    } catch (error) {
      this.#log.warn({ err: error }, "could not release the lease; it expires on its own");
    }
  }

  async #run(callbacks: LeadershipCallbacks, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.#campaign(signal);
      if (signal.aborted) return;
      this.#log.info("acquired the lease; now leading");
      this.#setLeading(true);
      callbacks.onStartedLeading();
      await this.#renewWhileValid(signal);
      // Stopped while leading: `stop` releases the Lease.
      if (signal.aborted) return;
      this.#setLeading(false);
      this.#log.error(
        { renewDeadlineMs: this.#options.renewDeadlineMs },
        "failed to renew the lease within the deadline; stepping down",
      );
      await callbacks.onStoppedLeading();
    }
  }

  async #campaign(signal: AbortSignal): Promise<void> {
    const { retryPeriodMs } = this.#options;
    this.#log.info("attempting to acquire the lease");
    while (!signal.aborted && !(await this.#tryAcquireOrRenew(Math.max(1_000, retryPeriodMs)))) {
      // Wake when the observed lease would expire rather than up to a retry period later.
      const untilExpiry = this.#heldUntil - Date.now() + 10;
      const retry = retryPeriodMs * (1 + 0.2 * Math.random());
      await sleep(untilExpiry > 0 ? Math.min(retry, untilExpiry) : retry, signal);
    }
  }

  /** Renews every retry period; returns when aborted or once the renew deadline passed without a renewal. */
  async #renewWhileValid(signal: AbortSignal): Promise<void> {
    const { retryPeriodMs } = this.#options;
    for (;;) {
      const remaining = this.#validUntil - performance.now();
      if (signal.aborted || remaining <= 0) return;
      await sleep(Math.min(retryPeriodMs, remaining), signal);
      const left = this.#validUntil - performance.now();
      if (signal.aborted || left <= 0) return;
      // An answer after the deadline could not keep the leadership anyway.
      await this.#tryAcquireOrRenew(Math.min(Math.max(1_000, retryPeriodMs), left));
    }
  }

  /** One attempt; on success the leadership is valid for the renew deadline from the attempt's start. */
  async #tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const { client, namespace, name, identity, leaseDurationMs, renewDeadlineMs } = this.#options;
    const now = Date.now();
    const startedAt = performance.now();
    const path = resourcePath(LEASES, { namespace, name });
    const spec = (record: V1LeaseSpec | undefined): V1LeaseSpec => {
      const renewing = record?.holderIdentity === identity;
      return {
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
        acquireTime: (renewing ? record?.acquireTime : undefined) ?? (microTime(now) as unknown as Date),
        renewTime: microTime(now) as unknown as Date,
        leaseTransitions: (record?.leaseTransitions ?? 0) + (renewing || record === undefined ? 0 : 1),
      };
    };
    try {
      let lease: V1Lease;
      try {
        lease = await client.request<V1Lease>({ method: "GET", path, timeoutMs });
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        const created = {
          apiVersion: LEASES.apiVersion,
          kind: LEASES.kind,
          metadata: { name, namespace },
          spec: spec(undefined),
        };
        await client.request({
          method: "POST",
          path: resourcePath(LEASES, { namespace }),
          body: created,
          timeoutMs,
        });
        this.#observe(created.spec, now);
        this.#validUntil = startedAt + renewDeadlineMs;
        return true;
      }
      const record = lease.spec;
      if (!sameRecord(record, this.#observedRecord)) this.#observe(record, now);
      const holder = record?.holderIdentity;
      const durationMs = (record?.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
      if (holder && holder !== identity && this.#observedAt + durationMs > now) {
        this.#heldUntil = this.#observedAt + durationMs;
        return false;
      }
      const next = spec(record);
      await client.request({ method: "PUT", path, body: { ...lease, spec: next }, timeoutMs });
      this.#observe(next, now);
      this.#validUntil = startedAt + renewDeadlineMs;
      if (holder !== identity) this.#log.info({ previousHolder: holder ?? "" }, "took over the lease");
      return true;
    } catch (error) {
      if (!isStatus(error, 409)) this.#log.warn({ err: error }, "lease update failed");
      return false;
    }
  }

  async #release(): Promise<void> {
    const { client, namespace, name, identity } = this.#options;
    const path = resourcePath(LEASES, { namespace, name });
    const lease = await client.request<V1Lease>({ method: "GET", path, timeoutMs: 5_000 });
    if (lease.spec?.holderIdentity !== identity) return;
    const now = microTime(Date.now()) as unknown as Date;
    const spec: V1LeaseSpec = {
      ...lease.spec,
      holderIdentity: "",
      leaseDurationSeconds: 1,
      renewTime: now,
      acquireTime: now,
    };
    await client.request({ method: "PUT", path, body: { ...lease, spec }, timeoutMs: 5_000 });
  }

  #observe(record: V1LeaseSpec | undefined, at: number): void {
    this.#observedRecord = record;
    this.#observedAt = at;
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#metrics.leaderElectionMasterStatus.set({ name: this.#options.name }, leading ? 1 : 0);
  }
}
