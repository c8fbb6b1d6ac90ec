/** operator-lib's leader-for-life lock: a ConfigMap owned by the leader's Pod. */
import type { V1ConfigMap, V1OwnerReference, V1Pod } from "@kubernetes/client-node";
import { CONFIG_MAPS, PODS } from "../../apis/resource-types.js";
import { sleep } from "../backoff.js";
import { isStatus, type KubeClient, resourcePath } from "../kube-client.js";
import { createLogger, type Logger } from "../logging.js";
import { defaultMetrics, type RuntimeMetrics } from "../metrics.js";
import type { LeaderLock, LeadershipCallbacks } from "./lease.js";

export interface LeaderForLifeOptions {
  client: KubeClient;
  /**
   * The namespace of the lock and of this process's Pod (an owner must live in its dependent's namespace).
   */
  namespace: string;
  /** Lock ConfigMap name; upstream uses `modelmesh-controller-leader-for-life-lock`. */
  name: string;
  /** This process's Pod (env `POD_NAME` from the downward API): the lock's owner while this process leads. */
  podName: string;
  /** Pause between attempts while another live pod holds the lock (2 s). */
  retryPeriodMs?: number;
  metrics?: RuntimeMetrics;
}

/** What the kubelet reports for a pod the node evicted; such a pod never runs again. */
function isEvicted(pod: V1Pod): boolean {
  return pod.status?.phase === "Failed" && pod.status.reason === "Evicted";
}

/**
 * operator-lib's leader-for-life lock: a ConfigMap owned by the leader's Pod, so it lives exactly as long as
 * that pod (the garbage collector removes it with the pod). A candidate creates it or waits while its owner
 * runs. When the owner pod is gone, or was evicted, the candidate deletes the stale lock itself (preconditioned
 * on its uid and resourceVersion) instead of waiting for the garbage collector or deleting the pod.
 * A leader for life never steps down; on a graceful stop it deletes the lock so a successor starts at once.
 */
export class LeaderForLife implements LeaderLock {
  readonly #options: Required<Omit<LeaderForLifeOptions, "metrics">>;
  readonly #metrics: RuntimeMetrics;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #lockUid: string | undefined;
  #leading = false;
  #loop: Promise<void> | undefined;

  constructor(options: LeaderForLifeOptions) {
    this.#options = { retryPeriodMs: 2_000, ...options };
    this.#metrics = options.metrics ?? defaultMetrics();
    this.#log = createLogger("leader-election", {
      lock: `${options.namespace}/${options.name}`,
      pod: options.podName,
    });
    this.#metrics.leaderElectionMasterStatus.set({ name: options.name }, 0);
  }

  isLeader(): boolean {
    return this.#leading;
  }

  holdsLock(): boolean {
    return this.#leading;
  }

  start(callbacks: LeadershipCallbacks): void {
    this.#loop ??= this.#run(callbacks, this.#abort.signal);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    if (!this.#leading || this.#lockUid === undefined) return;
    this.#setLeading(false);
    try {
      await this.#deleteLock(this.#lockUid, undefined);
      this.#log.info("released the leader-for-life lock");
    } catch (error) {
      this.#log.warn({ err: error }, "could not release the lock; it goes with this pod");
    }
  }

  async #run(callbacks: LeadershipCallbacks, signal: AbortSignal): Promise<void> {
    this.#log.info("trying to become the leader for life");
    let owner: V1OwnerReference | undefined;
    while (!signal.aborted) {
      owner ??= await this.#ownPodReference();
      if (owner !== undefined && (await this.#tryAcquire(owner))) break;
      await sleep(this.#options.retryPeriodMs * (1 + 0.2 * Math.random()), signal);
    }
    if (signal.aborted) return;
    this.#log.info("became the leader for life");
    this.#setLeading(true);
    callbacks.onStartedLeading();
  }

  async #ownPodReference(): Promise<V1OwnerReference | undefined> {
    const { client, namespace, podName } = this.#options;
    try {
      const pod = await client.request<V1Pod>({
        method: "GET",
        path: resourcePath(PODS, { namespace, name: podName }),
      });
      return { apiVersion: "v1", kind: "Pod", name: podName, uid: pod.metadata?.uid ?? "" };
    } catch (error) {
      this.#log.error({ err: error }, `cannot read this process's Pod ${namespace}/${podName}`);
      return undefined;
    }
  }

  async #tryAcquire(owner: V1OwnerReference): Promise<boolean> {
    const { client, namespace, name } = this.#options;
    try {
      const created = await client.request<V1ConfigMap>({
        method: "POST",
        path: resourcePath(CONFIG_MAPS, { namespace }),
        body: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name, namespace, ownerReferences: [owner] },
        },
      });
      this.#lockUid = created.metadata?.uid;
      return true;
    } catch (error) {
      if (!isStatus(error, 409)) {
        this.#log.warn({ err: error }, "could not create the lock");
        return false;
      }
    }
    try {
      const lock = await client.get<V1ConfigMap>(CONFIG_MAPS, name, namespace);
      if (lock === undefined) return this.#tryAcquire(owner);
      const holder = lock.metadata?.ownerReferences?.find((ref) => ref.kind === "Pod");
      if (holder?.uid === owner.uid) {
        // This pod already holds it: the container restarted.
        this.#lockUid = lock.metadata?.uid;
        return true;
      }
      const holderPod =
        holder === undefined ? undefined : await client.get<V1Pod>(PODS, holder.name, namespace);
      if (holderPod !== undefined && holderPod.metadata?.uid === holder?.uid && !isEvicted(holderPod)) {
        this.#log.debug({ leader: holder?.name }, "another pod holds the lock; waiting");
        return false;
      }
      this.#log.info(
        { leader: holder?.name ?? "", evicted: holderPod !== undefined },
        "the pod holding the lock is gone or evicted; taking the lock over",
      );
      await this.#deleteLock(lock.metadata?.uid, lock.metadata?.resourceVersion);
      return this.#tryAcquire(owner);
    } catch (error) {
      // 409: another candidate deleted or replaced the stale lock first.
      if (!isStatus(error, 409)) this.#log.warn({ err: error }, "could not inspect the lock");
      return false;
    }
  }

  /** Deletes the lock only if it is still the object seen (uid, and resourceVersion when given). */
  async #deleteLock(uid: string | undefined, resourceVersion: string | undefined): Promise<void> {
    const { client, namespace, name } = this.#options;
    try {
      await client.request({
        method: "DELETE",
        path: resourcePath(CONFIG_MAPS, { namespace, name }),
        body: { preconditions: { uid, resourceVersion } },
      });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#metrics.leaderElectionMasterStatus.set({ name: this.#options.name }, leading ? 1 : 0);
  }
}
