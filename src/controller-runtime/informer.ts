/**
 * A list-then-watch cache of one kind that resumes broken watches and relists on 410 (client-go's informer).
 */
import type { KubernetesListObject, KubernetesObject, V1ObjectMeta } from "@kubernetes/client-node";
import type { ResourceType } from "../apis/resource-types.js";
import { ownApplyEntry } from "./apply-change.js";
import { Backoff, sleep } from "./backoff.js";
import { isStatus, type KubeClient, type ListOptions, type WatchEvent } from "./kube-client.js";
import { createLogger, type Logger } from "./logging.js";
import { type IndexFunc, objectKey, Store } from "./store.js";

/** The two calls an informer makes; `KubeClient` provides them through `listWatchFor`. */
export interface ListWatcher<T extends KubernetesObject> {
  list(options: ListOptions): Promise<KubernetesListObject<T>>;
  /** Resolves when the server ends the watch; rejects on failure (410 Gone as a `KubeApiError`). */
  watch(options: ListOptions, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
}

export function listWatchFor<T extends KubernetesObject>(
  client: KubeClient,
  type: ResourceType,
): ListWatcher<T> {
  return {
    list: (options) => client.list<T>(type, options),
    watch: (options, onEvent, signal) =>
      client.watch(
        type,
        // The server ends each watch after 5 to 10 minutes, spreading reconnects as client-go does.
        { ...options, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300) },
        onEvent,
        signal,
      ),
  };
}

export interface EventHandler<T> {
  /**
   * `inInitialList` is true for objects from the informer's first list, so they can queue at low priority.
   */
  onAdd?(object: T, inInitialList: boolean): void;
  onUpdate?(oldObject: T, newObject: T): void;
  onDelete?(object: T): void;
}

export interface InformerOptions<T extends KubernetesObject> {
  type: ResourceType;
  listWatcher: ListWatcher<T>;
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  indexers?: Record<string, IndexFunc<T>>;
  /** Applied to every object before it is cached; by default drops fields the controller never reads. */
  transform?: (object: T) => T;
  /** Objects per list page; paging bounds the memory a relist of a large collection takes at once. */
  pageSize?: number;
  /** Calls `onUpdate(o, o)` for every cached object this often; off by default. */
  resyncPeriodMs?: number;
  backoff?: Backoff;
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * Drops kubectl's last-applied copy and the `managedFields` (often half an object's size) but the controller's own
 * apply entry, which tells whether applying again would change anything (`whatApplyWouldChange`).
 */
export function stripForCache<T extends KubernetesObject>(object: T): T {
  const metadata = object.metadata;
  if (metadata === undefined) return object;
  const { managedFields: _managed, annotations, ...rest } = metadata;
  const ownApply = ownApplyEntry(object);
  const kept: V1ObjectMeta = ownApply === undefined ? rest : { ...rest, managedFields: [ownApply] };
  if (annotations !== undefined && LAST_APPLIED in annotations) {
    const { [LAST_APPLIED]: _lastApplied, ...others } = annotations;
    if (Object.keys(others).length > 0) kept.annotations = others;
  } else if (annotations !== undefined) {
    kept.annotations = annotations;
  }
  return { ...object, metadata: kept };
}

class WatchExpiredError extends Error {}

/**
 * Keeps a cache of one kind in step with the API server: list, then watch from the list's resourceVersion with
 * bookmarks; a broken watch resumes from the last seen resourceVersion after a backoff, and an expired one
 * (410 Gone) relists, reporting what changed meanwhile (deletes included) to the handlers.
 */
export class Informer<T extends KubernetesObject> {
  readonly store: Store<T>;
  readonly #options: InformerOptions<T>;
  readonly #handlers: EventHandler<T>[] = [];
  readonly #transform: (object: T) => T;
  readonly #backoff: Backoff;
  readonly #log: Logger;
  readonly #syncWaiters: Array<() => void> = [];
  #resourceVersion = "";
  #synced = false;
  #listCount = 0;
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;

  constructor(options: InformerOptions<T>) {
    this.#options = options;
    this.store = new Store(options.indexers);
    this.#transform = options.transform ?? stripForCache;
    this.#backoff = options.backoff ?? new Backoff();
    this.#log = createLogger("informer", {
      kind: options.type.kind,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    });
  }

  get type(): ResourceType {
    return this.#options.type;
  }

  /** Registers handlers; once synced, a late handler first gets every cached object as an initial add. */
  addEventHandler(handler: EventHandler<T>): void {
    this.#handlers.push(handler);
    if (this.#synced) for (const object of this.store.list()) this.#call(handler, "onAdd", object, true);
  }

  hasIndexer(name: string): boolean {
    return this.store.hasIndexer(name);
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** How many full lists ran: 1 after the start, one more per relist. */
  get listCount(): number {
    return this.#listCount;
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** True once the first list is cached; false if `timeoutMs` passes or the signal aborts first. */
  waitForSync(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (synced: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(synced);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(onAbort, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#syncWaiters.push(() => done(true));
    });
  }

  start(): void {
    if (this.#running !== undefined) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#running = this.#run(abort.signal);
    const period = this.#options.resyncPeriodMs;
    if (period !== undefined && period > 0) this.#resyncTimer = setInterval(() => this.#resync(), period);
  }

  async stop(): Promise<void> {
    clearInterval(this.#resyncTimer);
    this.#abort?.abort();
    await this.#running;
    this.#running = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#listAndReplace();
          needList = false;
        }
        await this.#watch(signal);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof WatchExpiredError || isStatus(error, 410)) {
          this.#log.info({ resourceVersion: this.#resourceVersion }, "watch expired (410 Gone); relisting");
          needList = true;
          continue;
        }
        const delay = this.#backoff.next();
        this.#log.warn(
          { err: error, retryInMs: Math.round(delay), phase: needList ? "list" : "watch" },
          "list/watch failed; retrying",
        );
        await sleep(delay, signal);
      }
    }
  }

  async #listAndReplace(): Promise<void> {
    const { listWatcher, namespace, labelSelector, fieldSelector, pageSize = 500, type } = this.#options;
    const initial = !this.#synced;
    const seen = new Set<string>();
    let continueToken: string | undefined;
    let resourceVersion = "";
    do {
      const page = await listWatcher.list({
        namespace,
        labelSelector,
        fieldSelector,
        limit: pageSize,
        continue: continueToken,
      });
      for (const item of page.items) {
        // List items carry no apiVersion/kind; the cache keeps whole objects.
        const object = this.#transform({ ...item, apiVersion: type.apiVersion, kind: type.kind });
        const key = objectKey(object);
        seen.add(key);
        const old = this.store.get(key);
        if (old === undefined) {
          this.store.upsert(object);
          this.#emit("onAdd", object, initial);
        } else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
          this.store.upsert(object);
          this.#emit("onUpdate", old, object);
        }
      }
      continueToken = page.metadata?._continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? "";
    } while (continueToken !== undefined);
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const removed = this.store.remove(key);
      if (removed !== undefined) this.#emit("onDelete", removed);
    }
    this.#listCount++;
    this.#resourceVersion = resourceVersion;
    this.#backoff.reset();
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
      this.#log.info({ objects: this.store.size, resourceVersion }, "cache synced");
    }
  }

  async #watch(stopSignal: AbortSignal): Promise<void> {
    const { listWatcher, namespace, labelSelector, fieldSelector } = this.#options;
    if (stopSignal.aborted) return;
    const abort = new AbortController();
    const stop = () => abort.abort();
    stopSignal.addEventListener("abort", stop, { once: true });
    let failure: Error | undefined;
    let events = 0;
    const startedAt = performance.now();
    try {
      await listWatcher.watch(
        { namespace, labelSelector, fieldSelector, resourceVersion: this.#resourceVersion },
        (event) => {
          if (failure !== undefined) return;
          events++;
          failure = this.#apply(event);
          if (failure !== undefined) abort.abort();
          else this.#backoff.reset();
        },
        abort.signal,
      );
    } finally {
      stopSignal.removeEventListener("abort", stop);
    }
    if (failure !== undefined) throw failure;
    // A watch the server closes at once, again and again, would spin without this.
    if (events === 0 && performance.now() - startedAt < 1000 && !stopSignal.aborted) {
      throw new Error("watch closed right after it opened");
    }
  }

  /** Applies one watch event to the cache; returns the error that must end this watch, if any. */
  #apply(event: WatchEvent): Error | undefined {
    const { type, object } = event;
    if (type === "ERROR") {
      if (object.code === 410) return new WatchExpiredError(object.message ?? "watch expired");
      return new Error(`watch error ${object.code ?? ""} ${object.reason ?? ""}: ${object.message ?? ""}`);
    }
    const resourceVersion = object.metadata?.resourceVersion;
    if (type === "BOOKMARK") {
      if (resourceVersion) this.#resourceVersion = resourceVersion;
      return undefined;
    }
    const cached = this.#transform(object as T);
    const key = objectKey(cached);
    if (type === "DELETED") {
      const removed = this.store.remove(key);
      this.#emit("onDelete", removed ?? cached);
    } else {
      const old = this.store.upsert(cached);
      if (old === undefined) this.#emit("onAdd", cached, false);
      else this.#emit("onUpdate", old, cached);
    }
    if (resourceVersion) this.#resourceVersion = resourceVersion;
    return undefined;
  }

  #resync(): void {
    for (const object of this.store.list()) this.#emit("onUpdate", object, object);
  }

  #emit(event: "onAdd", object: T, inInitialList: boolean): void;
  #emit(event: "onUpdate", oldObject: T, newObject: T): void;
  #emit(event: "onDelete", object: T): void;
  #emit(event: keyof EventHandler<T>, first: T, second?: T | boolean): void {
    for (const handler of this.#handlers) this.#call(handler, event, first, second);
  }

  #call(handler: EventHandler<T>, event: keyof EventHandler<T>, first: T, second?: T | boolean): void {
    try {
      if (event === "onAdd") handler.onAdd?.(first, second === true);
      else if (event === "onUpdate") handler.onUpdate?.(first, second as T);
      else handler.onDelete?.(first);
    } catch (error) {
      // A faulty handler must not stop the cache from following the API server.
      this.#log.error({ err: error, event, key: objectKey(first) }, "event handler threw");
    }
  }
}
