/**
 * Writes statuses only when they changed. "Changed" is judged against the newest state this process knows: the
 * cached object, or its own last write when the cache has not caught up with it yet. Judged against the cache
 * alone, a second reconcile that lands between a write and its watch event would see the status it wants in the
 * stale cache, write nothing, and leave the earlier write standing on the server (a transition stuck
 * `InProgress`). Memory of a write lasts until the informer delivers it. A reconcile's snapshot may be older than
 * the cache by the time it writes, so the cache's current object is used when the spec (generation) is the same.
 */

import type { KubernetesObject } from "@kubernetes/client-node";
import type { ResourceType } from "../apis/resource-types.js";
import { mergePatchDiff } from "./apply.js";
import type { Informer } from "./informer.js";
import type { KubeClient } from "./kube-client.js";

type WithStatus = KubernetesObject & { status?: unknown };

interface OwnWrite {
  /** Versions older than `written` that the cache may still show: the one the first write was based on and any
   * written since. While the cache shows one of them, `written` is newer. */
  readonly behind: ReadonlySet<string | undefined>;
  readonly written: WithStatus;
}

export class StatusWriter {
  readonly #writes = new Map<string, OwnWrite>();
  /** The informer of each tracked type, by plural. */
  readonly #informers = new Map<string, Informer<KubernetesObject>>();

  constructor(private readonly client: KubeClient) {}

  /** The informer of `type`'s objects: the freshest cache, and what ends the memory of each write. */
  track(type: ResourceType, informer: Informer<KubernetesObject>): void {
    this.#informers.set(type.plural, informer);
    const settle = (object: KubernetesObject) => {
      const uid = object.metadata?.uid;
      const write = uid === undefined ? undefined : this.#writes.get(uid);
      if (uid !== undefined && write !== undefined && !write.behind.has(object.metadata?.resourceVersion))
        this.#writes.delete(uid);
    };
    informer.addEventHandler({
      onUpdate: (_before, after) => settle(after),
      onDelete: (object) => {
        if (object.metadata?.uid !== undefined) this.#writes.delete(object.metadata.uid);
      },
    });
  }

  /**
   * Merge-patches the difference to the status subresource, guarded by the resourceVersion it compared with (a
   * stale base gets 409 Conflict and the key is retried). Returns whether it wrote.
   */
  async write<T extends WithStatus>(type: ResourceType, snapshot: T, status: T["status"]): Promise<boolean> {
    const cached = this.#freshest(type, snapshot);
    const uid = cached.metadata?.uid;
    const own = uid === undefined ? undefined : this.#writes.get(uid);
    const cacheBehind = own?.behind.has(cached.metadata?.resourceVersion) ?? false;
    const base = own !== undefined && cacheBehind ? own.written : cached;
    const patch = mergePatchDiff(base.status ?? {}, status ?? {});
    if (patch === undefined) return false;
    const written = await this.client.mergePatch<WithStatus>(
      type,
      { namespace: cached.metadata?.namespace, name: cached.metadata?.name, subresource: "status" },
      { metadata: { resourceVersion: base.metadata?.resourceVersion }, status: patch },
    );
    const behind = new Set(cacheBehind ? own?.behind : []);
    behind.add(base.metadata?.resourceVersion);
    // The watch event of the write may have beaten its response: then the cache has it, nothing to remember.
    const nowCached = this.#cached(type, cached)?.metadata?.resourceVersion;
    if (uid !== undefined && nowCached !== undefined && behind.has(nowCached))
      this.#writes.set(uid, { behind, written });
    else if (uid !== undefined) this.#writes.delete(uid);
    return true;
  }

  /** The cache's current object when it is the same object with the same spec, else the snapshot. */
  #freshest(type: ResourceType, snapshot: WithStatus): WithStatus {
    const current = this.#cached(type, snapshot);
    return current !== undefined && current.metadata?.generation === snapshot.metadata?.generation
      ? current
      : snapshot;
  }

  /** The tracked cache's copy of the same object (same uid), if any. */
  #cached(type: ResourceType, object: WithStatus): WithStatus | undefined {
    const { namespace, name, uid } = object.metadata ?? {};
    const current = this.#informers.get(type.plural)?.store.getByName(name ?? "", namespace);
    return current?.metadata?.uid === uid ? current : undefined;
  }

  /** Writes remembered now (for tests and metrics: it should stay small). */
  get pending(): number {
    return this.#writes.size;
  }
}
