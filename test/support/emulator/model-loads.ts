/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. Placing a model's copy and loading it, as the recordings of
 * the real model-mesh show it: the placement writes `instanceIds[<instance>] = now` (the load's start, together
 * with `lu`) before the load is queued; a load that succeeds writes nothing; a load that fails rewrites the record
 * with `failedIn`/`fails` instead of the copy. A load first holds a loading thread for the configured load time
 * (the pull), then needs the model path in the model store directory (the puller's check); on an instance with a
 * real runtime (`runtime-servers.ts`) the runtime must then load it too, else the load "succeeds" there. Requests
 * for a model already loading share that load (model-mesh's concurrent requests wait on the same cache entry).
 * One copy per model (no scale-out).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../../../src/controller-runtime/logging.js";
import type { Exclusive } from "./exclusive.js";
import { missingModelMessage } from "./failure-messages.js";
import { LoadQueue, type QueuedLoad } from "./load-queue.js";
import { type LoadTime, sampleLoadTime } from "./load-time.js";
import type { LoadOutcome } from "./mesh-replies.js";
import type { ModelRecord } from "./registry-records.js";
import type { RegistryOp, RegistryStore } from "./registry-store.js";
import type { RuntimeServers } from "./runtime-servers.js";
import { type ClusterView, type EmulatedInstance, eligibleInstances } from "./runtimes.js";

export type Placement =
  /** A load runs or waits for a thread: started now (`placed`), or earlier by another request. */
  | { readonly kind: "loading"; readonly load: Promise<LoadOutcome>; readonly placed: boolean }
  | { readonly kind: "loaded" }
  /** No ready instance has the labels the type requires; model-mesh does not remember this failure. */
  | { readonly kind: "nowhere"; readonly message: string }
  /** Every instance that could take it failed to load it already: no retry. */
  | { readonly kind: "failed" };

interface ActiveLoad {
  readonly modelId: string;
  readonly instance: string;
  /** The record at placement: what to load (a model id's type, path and key never change). */
  readonly model: Pick<ModelRecord, "type" | "mPath" | "encKey">;
  readonly outcome: Promise<LoadOutcome>;
  readonly settle: (outcome: LoadOutcome) => void;
  queued: QueuedLoad | undefined;
  timer: NodeJS.Timeout | undefined;
  ended: boolean;
}

export interface ModelLoadsOptions {
  readonly store: RegistryStore;
  readonly exclusive: Exclusive;
  readonly loadTime: LoadTime;
  /** Model paths resolve inside this directory. */
  readonly modelsDir: string;
  readonly log: Logger;
  /** The real runtimes of instances that have one. */
  readonly runtimes?: Pick<RuntimeServers, "of">;
  /** Called when a load has ended, loaded or failed (not when cancelled). */
  readonly onLoadEnded?: (modelId: string, loaded: boolean) => void;
}

/**
 * How long a count of the copies on each instance serves placements before it is taken again. model-mesh places by
 * its instance table, which each instance republishes as its copies change, not by a scan of the whole registry;
 * a scan per placement would cost the emulator O(models) each time.
 */
const COPY_COUNTS_MAX_AGE_MS = 200;

export class ModelLoads {
  /** By model id: one copy per model. */
  private readonly active = new Map<string, ActiveLoad>();
  private readonly queues = new Map<string, LoadQueue>();
  /**
   * Registry changes committed, as their own transaction, before a failure is recorded: a vmodel whose transition
   * target failed is marked `failed` one revision before the target's record gets `failedIn`.
   */
  beforeFailure: (modelId: string) => RegistryOp[] = () => [];
  /** Copies per instance as last counted, plus the placements made since. */
  private copyCounts: { readonly takenAt: number; readonly counts: Map<string, number> } | undefined;

  constructor(private readonly options: ModelLoadsOptions) {}

  /** Whether the model's copy on `instance` is still loading (or waiting for a loading thread). */
  isLoading(modelId: string, instance: string): boolean {
    return this.active.get(modelId)?.instance === instance;
  }

  /** Loads running or queued on an instance (model-mesh's `lInProg`). */
  loadsOn(instance: string): number {
    return this.queues.get(instance)?.inProgress ?? 0;
  }

  /**
   * Makes sure the model has a copy, placing one when it has none. Runs in the exclusive section. The placement
   * writes `record` (with whatever the caller already changed in it) with the new copy and `lu` raised to
   * `lastUsed`, or to the placement's own time when not given (one instant for both, as model-mesh writes it);
   * when nothing is placed, the caller's changes are not written.
   */
  async ensureCopy(
    modelId: string,
    record: ModelRecord,
    view: ClusterView,
    lastUsed?: number,
  ): Promise<Placement> {
    const load = this.active.get(modelId);
    if (load) return { kind: "loading", load: load.outcome, placed: false };
    if (record.instanceIds.size > 0) return { kind: "loaded" };
    const eligible = eligibleInstances(view, record.type);
    if (typeof eligible === "string") return { kind: "nowhere", message: eligible };
    const candidates = eligible.filter((instance) => !record.failedIn.has(instance.id));
    const instance = this.leastBusy(candidates);
    if (instance === undefined) return { kind: "failed" };
    const counts = this.copyCounts?.counts;
    counts?.set(instance.id, (counts.get(instance.id) ?? 0) + 1);
    const start = Date.now();
    record.instanceIds.set(instance.id, start);
    record.lu = Math.max(record.lu, lastUsed ?? start);
    const placed = this.options.store.commit([{ put: "model", id: modelId, record }]);
    return { kind: "loading", load: this.startLoad(modelId, instance, record, placed), placed: true };
  }

  /** Ends the model's load, if any, as cancelled (its record or copy went away). */
  cancel(modelId: string): void {
    const load = this.active.get(modelId);
    if (load) this.end(load, { kind: "cancelled" });
  }

  /** Cancels the loads on instances that went away. */
  dropInstances(lost: ReadonlySet<string>): void {
    for (const load of [...this.active.values()]) if (lost.has(load.instance)) this.cancel(load.modelId);
    for (const instance of lost) this.queues.delete(instance);
  }

  stop(): void {
    for (const modelId of [...this.active.keys()]) this.cancel(modelId);
  }

  /** Fewest copies first (model-mesh's placement order prefers instances with fewer models), then fewest loads. */
  private leastBusy(candidates: readonly EmulatedInstance[]): EmulatedInstance | undefined {
    if (candidates.length <= 1) return candidates[0];
    const copies = this.copiesPerInstance();
    const busy = (i: EmulatedInstance) => [copies.get(i.id) ?? 0, this.loadsOn(i.id), i.id] as const;
    return [...candidates].sort((a, b) => {
      const [ca, la, ia] = busy(a);
      const [cb, lb, ib] = busy(b);
      return ca - cb || la - lb || (ia < ib ? -1 : ia > ib ? 1 : 0);
    })[0];
  }

  private copiesPerInstance(): Map<string, number> {
    const now = Date.now();
    if (this.copyCounts === undefined || now - this.copyCounts.takenAt >= COPY_COUNTS_MAX_AGE_MS) {
      const counts = new Map<string, number>();
      for (const [, record] of this.options.store.scanModels())
        for (const instance of record.instanceIds.keys())
          counts.set(instance, (counts.get(instance) ?? 0) + 1);
      this.copyCounts = { takenAt: now, counts };
    }
    return this.copyCounts.counts;
  }

  /** The load waits for its placement to be in etcd, as model-mesh loads only once its placement is written. */
  private startLoad(
    modelId: string,
    instance: EmulatedInstance,
    record: ModelRecord,
    placed: Promise<void>,
  ): Promise<LoadOutcome> {
    let settle: (outcome: LoadOutcome) => void = () => undefined;
    const outcome = new Promise<LoadOutcome>((resolve) => {
      settle = resolve;
    });
    const load: ActiveLoad = {
      modelId,
      instance: instance.id,
      model: { type: record.type, mPath: record.mPath, encKey: record.encKey },
      outcome,
      settle,
      queued: undefined,
      timer: undefined,
      ended: false,
    };
    this.active.set(modelId, load);
    let queue = this.queues.get(instance.id);
    if (queue === undefined || queue.threads !== instance.loadingThreads) {
      queue = new LoadQueue(instance.loadingThreads);
      this.queues.set(instance.id, queue);
    }
    const loadingQueue = queue;
    placed.then(
      () => {
        if (!load.ended) load.queued = loadingQueue.enqueue(() => this.run(load));
      },
      () => this.end(load, { kind: "cancelled" }),
    );
    return outcome;
  }

  /** Holds a loading thread for the load time and the load itself, then ends the load in the exclusive section. */
  private async run(load: ActiveLoad): Promise<void> {
    if (load.ended) return;
    load.queued = undefined;
    await new Promise<void>((resolve) => {
      load.timer = setTimeout(resolve, sampleLoadTime(this.options.loadTime));
      void load.outcome.then(() => resolve());
    });
    if (load.ended) return;
    try {
      const problem = await this.attempt(load);
      // A load that ended meanwhile (its model or copy went) leaves the runtime's copy to be unloaded.
      if (load.ended) return;
      await this.options.exclusive.run(() => this.finish(load, problem));
    } catch (error) {
      this.options.log.error({ modelId: load.modelId, error: String(error) }, "emulated load did not end");
      this.end(load, { kind: "cancelled" });
    }
  }

  /** The load: the model must be in the store, then loaded by the instance's runtime if it has a real one. */
  private async attempt(load: ActiveLoad): Promise<string | undefined> {
    const problem = this.missingFromStore(load.model.mPath);
    const runtime = this.options.runtimes?.of(load.instance);
    if (problem !== undefined || runtime === undefined) return problem;
    return runtime.load({
      modelId: load.modelId,
      modelType: load.model.type,
      modelKey: load.model.encKey,
      modelPath: path.resolve(this.options.modelsDir, load.model.mPath),
    });
  }

  /** Ends the load as `problem` says (undefined: loaded), unless its model or copy went away first. */
  private async finish(load: ActiveLoad, problem: string | undefined): Promise<void> {
    if (load.ended) return;
    const { store } = this.options;
    const record = store.model(load.modelId);
    if (record === undefined || !record.instanceIds.has(load.instance)) {
      this.end(load, { kind: "cancelled" });
      return;
    }
    if (problem === undefined) {
      this.end(load, { kind: "loaded" });
      return;
    }
    store.commit(this.beforeFailure(load.modelId));
    record.instanceIds.delete(load.instance);
    record.failedIn.set(load.instance, Date.now());
    record.fails.set(load.instance, problem);
    store.commit([{ put: "model", id: load.modelId, record }]);
    this.end(load, { kind: "failed", message: problem });
  }

  private end(load: ActiveLoad, outcome: LoadOutcome): void {
    if (load.ended) return;
    load.ended = true;
    load.queued?.cancel();
    clearTimeout(load.timer);
    if (this.active.get(load.modelId) === load) this.active.delete(load.modelId);
    load.settle(outcome);
    if (outcome.kind !== "cancelled") this.options.onLoadEnded?.(load.modelId, outcome.kind === "loaded");
  }

  /** The puller's failure for a path the store does not have, or undefined when it is there. */
  private missingFromStore(modelPath: string): string | undefined {
    const store = path.resolve(this.options.modelsDir);
    const resolved = path.resolve(store, modelPath);
    const inside = resolved === store || resolved.startsWith(store + path.sep);
    if (modelPath !== "" && inside && existsSync(resolved)) return undefined;
    return missingModelMessage(resolved);
  }
}
