/** A KubeClient that refuses writes while this process does not hold a valid leader lock. */
import type { ClusterAccess } from "../cluster-access.js";
import { KubeClient, type KubeRequest } from "../kube-client.js";
import type { RuntimeMetrics } from "../metrics.js";

/** A write refused because this process does not hold the leader lock (it stepped down, or never led). */
export class NotLeaderError extends Error {
  constructor(req: KubeRequest) {
    super(`${req.method} ${req.path} refused: this process does not hold the leader lock`);
    this.name = "NotLeaderError";
  }
}

/**
 * A client that sends reads always and writes only while `mayWrite` says so: a leader whose Lease lapsed must
 * not write even if a reconcile that started before is still running.
 */
export class LeaderFencedKubeClient extends KubeClient {
  readonly #mayWrite: () => boolean;

  constructor(access: ClusterAccess, metrics: RuntimeMetrics, mayWrite: () => boolean) {
    super(access, metrics);
    this.#mayWrite = mayWrite;
  }

  override request<T>(req: KubeRequest): Promise<T> {
    if (req.method !== "GET" && !this.#mayWrite()) return Promise.reject(new NotLeaderError(req));
    return super.request<T>(req);
  }
}
