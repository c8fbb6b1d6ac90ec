/**
 * Learns when ModelMesh finishes loading a model, which it announces nowhere: placement writes the registry
 * record when a load starts and a failure rewrites it, but a successful load writes nothing (decision 0173).
 * So the controller asks. For a model whose active copy is loading it holds, outside the work queue's workers,
 * one `ensureLoaded(sync)` call that ModelMesh answers when the load has ended; each such call holds one of the
 * mesh's request threads, so their number is bounded per mesh. The waits go to the oldest placements of each
 * instance (an instance loads its queue a few at a time, so those finish first): a placement older than one that
 * holds a wait on the same instance takes that wait over. Models without a wait are looked at again with backoff.
 */

import type { Logger } from "../../controller-runtime/logging.js";
import type { ModelStatusInfo } from "../../modelmesh-client/gen/mmesh/model-mesh_pb.js";

/** A model whose active copy ModelMesh reports as loading. */
export interface LoadingModel {
  /** The model's reconcile key. */
  readonly key: string;
  /** Its concrete model id, the one that loads. */
  readonly modelId: string;
  /** The instance holding the loading copy ("" when the answer named none). */
  readonly location: string;
  /** When the copy was placed (ms since the epoch), the order in which a free waiter is given out. */
  readonly placedAt: number;
}

export interface LoadCompletionOptions {
  /** A blocking `ensureLoaded(sync=true)` of the model; rejects when the signal aborts. */
  readonly waitForLoad: (modelId: string, signal: AbortSignal) => Promise<ModelStatusInfo>;
  /**
   * Asks for the model to be reconciled: its status is read again there. `ended`: a wait answered (the load has
   * ended), rather than a look by backoff.
   */
  readonly enqueue: (key: string, ended: boolean) => void;
  /** How many waits may be held at once (read at each hand-out: it follows the number of mesh pods). */
  readonly maxWaiters: () => number;
  readonly log: Logger;
}

/** A model without a waiter is looked at again after this, doubling up to {@link MAX_LOOK_AGAIN_MS}. */
export const FIRST_LOOK_AGAIN_MS = 4_000;
/** The most loads an instance of a built-in runtime runs at once (model-mesh's `maxLoadingConcurrency`: Triton 2). */
const LOADS_AT_ONCE = 2;
export const MAX_LOOK_AGAIN_MS = 30_000;

interface Entry {
  readonly model: LoadingModel;
  /**
   * Set while this model's wait is held. A model gets one wait: after it answered, looks are by backoff only, so
   * a mesh that answers before the load has ended cannot make the controller spin.
   */
  waiter: AbortController | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Looks by backoff so far. */
  looks: number;
}

export class LoadCompletion {
  readonly #options: LoadCompletionOptions;
  readonly #entries = new Map<string, Entry>();
  /** Entries waiting for a waiter, per location, oldest placement first. */
  readonly #queued = new Map<string, Entry[]>();
  /** Entries holding a wait, per location. */
  readonly #held = new Map<string, Set<Entry>>();
  #waiters = 0;
  #stopped = false;

  constructor(options: LoadCompletionOptions) {
    this.#options = options;
  }

  /** Waits held now. */
  get waiters(): number {
    return this.#waiters;
  }

  /** Models followed now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Follows the model until its load ends, then enqueues its key; called by every reconcile that finds it
   * loading. `lookAgainAfterMs` asks for one look at that time whatever the wait does (the delayed first
   * `Loading` status).
   */
  watch(model: LoadingModel, lookAgainAfterMs?: number): void {
    if (this.#stopped) return;
    let entry = this.#entries.get(model.key);
    if (entry !== undefined && entry.model.modelId !== model.modelId) {
      this.forget(model.key);
      entry = undefined;
    }
    if (entry === undefined) {
      entry = { model, waiter: undefined, timer: undefined, looks: 0 };
      this.#entries.set(model.key, entry);
      this.#queue(entry);
      this.#handOut(model.location);
      this.#rebalance(model.location);
    }
    if (lookAgainAfterMs !== undefined) this.#lookAgain(entry, lookAgainAfterMs);
    else if (entry.waiter === undefined && entry.timer === undefined) {
      this.#lookAgain(entry, Math.min(MAX_LOOK_AGAIN_MS, FIRST_LOOK_AGAIN_MS * 2 ** entry.looks));
      entry.looks++;
    }
  }

  /** The model is no longer loading (or gone): its wait, if held, is cancelled. */
  forget(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    clearTimeout(entry.timer);
    this.#unqueue(entry);
    this.#release(entry);
    if (!this.#stopped) this.#handOut(entry.model.location);
  }

  stop(): void {
    this.#stopped = true;
    for (const key of [...this.#entries.keys()]) this.forget(key);
  }

  #lookAgain(entry: Entry, delayMs: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.#options.enqueue(entry.model.key, false);
    }, delayMs);
  }

  #queue(entry: Entry): void {
    const queue = this.#queued.get(entry.model.location) ?? [];
    let at = queue.length;
    while (at > 0 && (queue[at - 1] as Entry).model.placedAt > entry.model.placedAt) at--;
    queue.splice(at, 0, entry);
    this.#queued.set(entry.model.location, queue);
  }

  #unqueue(entry: Entry): void {
    const queue = this.#queued.get(entry.model.location);
    if (queue === undefined) return;
    const at = queue.indexOf(entry);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.#queued.delete(entry.model.location);
  }

  /**
   * Gives free waiters out: first to the instance that just freed one, then to the instance holding the fewest
   * (its oldest placement first), so that every instance's running loads are waited for.
   */
  #handOut(preferred: string): void {
    while (this.#waiters < this.#options.maxWaiters() && this.#queued.size > 0) {
      const location = this.#queued.has(preferred) ? preferred : this.#leastServed();
      const queue = this.#queued.get(location) as Entry[];
      const entry = queue.shift() as Entry;
      if (queue.length === 0) this.#queued.delete(location);
      this.#wait(entry);
      // Spread the rest over the instances: the next place goes to another one's oldest placement.
      preferred = "";
    }
  }

  /** The queued location holding the fewest waits; of those, the one with the oldest queued placement. */
  #leastServed(): string {
    let best: string | undefined;
    let bestHeld = Number.POSITIVE_INFINITY;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const [location, queue] of this.#queued) {
      const held = this.#held.get(location)?.size ?? 0;
      const at = (queue[0] as Entry).model.placedAt;
      if (held < bestHeld || (held === bestHeld && at < bestAt)) {
        best = location;
        bestHeld = held;
        bestAt = at;
      }
    }
    return best as string;
  }

  /**
   * With every wait held, the oldest queued placement of `location` takes the wait of the youngest placement that
   * holds one there, or, when the location holds none, of the youngest on the instance holding the most, if it
   * holds more than {@link LOADS_AT_ONCE} (so no wait of a load that runs is taken).
   */
  #rebalance(location: string): void {
    if (this.#waiters < this.#options.maxWaiters()) return;
    const oldest = this.#queued.get(location)?.[0];
    if (oldest === undefined) return;
    const here = youngest(this.#held.get(location));
    let victim = here !== undefined && here.model.placedAt > oldest.model.placedAt ? here : undefined;
    if (victim === undefined && here === undefined) {
      let busiest: Set<Entry> | undefined;
      for (const held of this.#held.values())
        if (held.size > (busiest?.size ?? LOADS_AT_ONCE)) busiest = held;
      victim = youngest(busiest);
    }
    if (victim === undefined) return;
    this.#release(victim);
    this.#queue(victim);
    this.#handOut(location);
  }

  #wait(entry: Entry): void {
    const waiter = new AbortController();
    entry.waiter = waiter;
    this.#waiters++;
    const { key, modelId, location } = entry.model;
    const held = this.#held.get(location) ?? new Set<Entry>();
    held.add(entry);
    this.#held.set(location, held);
    this.#options.waitForLoad(modelId, waiter.signal).then(
      () => this.#answered(entry, waiter),
      (error: unknown) => {
        if (!waiter.signal.aborted) {
          this.#options.log.debug({ modelId, err: error }, "waiting for the load ended without an answer");
        }
        this.#answered(entry, waiter);
      },
    );
    this.#options.log.debug({ key, modelId, location }, "waiting for the load to end");
  }

  /** Gives the entry's wait up, cancelling the call if it is still open. */
  #release(entry: Entry): void {
    const waiter = entry.waiter;
    if (waiter === undefined) return;
    entry.waiter = undefined;
    this.#waiters--;
    const held = this.#held.get(entry.model.location);
    held?.delete(entry);
    if (held?.size === 0) this.#held.delete(entry.model.location);
    waiter.abort();
  }

  #answered(entry: Entry, waiter: AbortController): void {
    if (entry.waiter !== waiter) return; // released already (forgotten, taken over, stopped)
    this.#release(entry);
    if (this.#entries.get(entry.model.key) === entry) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      this.#options.enqueue(entry.model.key, true);
    }
    if (!this.#stopped) this.#handOut(entry.model.location);
  }
}

/** The entry placed last. */
function youngest(entries: ReadonlySet<Entry> | undefined): Entry | undefined {
  let found: Entry | undefined;
  for (const entry of entries ?? [])
    if (found === undefined || entry.model.placedAt > found.model.placedAt) found = entry;
  return found;
}
