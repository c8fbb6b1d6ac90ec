/**
 * Load generation for scale and resilience runs: a plan of N ModelMesh InferenceServices spread round-robin over
 * runtimes and namespaces, creation with bounded parallelism, and a watch that timestamps each one reaching
 * `Loaded`, so per-object create → Loaded latency is measured from the API server's own view.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { INFERENCE_SERVICES } from "../../../src/apis/resource-types.js";
import type { KubeClient, WatchEvent } from "../../../src/controller-runtime/kube-client.js";
import { forEachBounded } from "../async/bounded-parallelism.js";
import { modelMeshInferenceService } from "../models/inference-services.js";

/** A built-in ClusterServingRuntime and a model format it serves. */
export interface RuntimeChoice {
  readonly runtime: string;
  readonly modelFormat: string;
}

/** The four built-in ClusterServingRuntimes of `config/runtimes`, each with a format it auto-selects. */
export const BUILT_IN_RUNTIMES: readonly RuntimeChoice[] = [
  { runtime: "mlserver-1.x", modelFormat: "sklearn" },
  { runtime: "triton-2.x", modelFormat: "onnx" },
  { runtime: "ovms-1.x", modelFormat: "openvino_ir" },
  { runtime: "torchserve-0.x", modelFormat: "pytorch-mar" },
];

export interface PlannedModel {
  readonly namespace: string;
  readonly name: string;
  readonly runtime: string;
  readonly modelFormat: string;
  /** Storage path of the model; the emulator resolves it inside its model store. */
  readonly path: string;
}

export interface PlanOptions {
  readonly namespaces: readonly string[];
  readonly runtimes?: readonly RuntimeChoice[];
  /** Name prefix; default `isvc`. */
  readonly prefix?: string;
}

/** `n` models, object i in namespace i mod #namespaces on runtime i mod #runtimes. */
export function planModels(n: number, options: PlanOptions): PlannedModel[] {
  const runtimes = options.runtimes ?? BUILT_IN_RUNTIMES;
  const width = String(Math.max(0, n - 1)).length;
  return Array.from({ length: n }, (_, i) => {
    const choice = runtimes[i % runtimes.length] as RuntimeChoice;
    return {
      namespace: options.namespaces[i % options.namespaces.length] as string,
      name: `${options.prefix ?? "isvc"}-${String(i).padStart(width, "0")}`,
      runtime: choice.runtime,
      modelFormat: choice.modelFormat,
      path: modelPath(choice.modelFormat, 0),
    };
  });
}

/** Model paths the store must hold: `<format>/v<version>`; spec changes switch between versions. */
export function modelPath(modelFormat: string, version: number): string {
  return `${modelFormat}/v${version}`;
}

/** Every storage path a plan (and its spec changes over `versions`) can point at. */
export function modelPaths(runtimes: readonly RuntimeChoice[] = BUILT_IN_RUNTIMES, versions = 2): string[] {
  return runtimes.flatMap((r) => Array.from({ length: versions }, (_, v) => modelPath(r.modelFormat, v)));
}

export function modelKeyOf(model: { namespace: string; name: string }): string {
  return `${model.namespace}/${model.name}`;
}

export type InferenceServiceObject = KubernetesObject & { spec: unknown; status?: Record<string, unknown> };

export function inferenceService(model: PlannedModel): InferenceServiceObject {
  return modelMeshInferenceService(model.namespace, model.name, {
    modelFormat: { name: model.modelFormat },
    runtime: model.runtime,
    storage: { key: "localMinIO", path: model.path },
  });
}

export interface CreateResult {
  /** `performance.now()` when the first request was sent and when the last answer arrived. */
  readonly startedAt: number;
  readonly finishedAt: number;
  /** By `namespace/name`: when its create request was sent. */
  readonly sentAt: ReadonlyMap<string, number>;
}

export interface CreateOptions {
  readonly parallelism: number;
  /** Called after each create succeeds (the floor writes a status here). */
  readonly afterCreate?: (model: PlannedModel, created: InferenceServiceObject) => Promise<void>;
}

/** Creates one InferenceService per planned model with bounded parallelism. */
export async function createInferenceServices(
  client: KubeClient,
  models: readonly PlannedModel[],
  options: CreateOptions,
): Promise<CreateResult> {
  const sentAt = new Map<string, number>();
  const startedAt = performance.now();
  await forEachBounded(models, options.parallelism, async (model) => {
    sentAt.set(modelKeyOf(model), performance.now());
    const created = await client.create(INFERENCE_SERVICES, inferenceService(model));
    await options.afterCreate?.(model, created);
  });
  return { startedAt, finishedAt: performance.now(), sentAt };
}

/** The status a controller writes for a loaded ModelMesh InferenceService; the floor writes this once. */
export function loadedStatus(model: PlannedModel): Record<string, unknown> {
  const url = `grpc://modelmesh-serving.${model.namespace}:8033`;
  return {
    modelStatus: {
      states: { activeModelState: "Loaded", targetModelState: "" },
      transitionStatus: "UpToDate",
      copies: { failedCopies: 0, totalCopies: 1 },
    },
    url,
    components: {
      predictor: { url, grpcUrl: url, restUrl: `http://modelmesh-serving.${model.namespace}:8008` },
    },
    conditions: [
      { type: "PredictorReady", status: "True", lastTransitionTime: new Date().toISOString() },
      { type: "Ready", status: "True", lastTransitionTime: new Date().toISOString() },
    ],
  };
}

export function activeModelState(object: KubernetesObject & { status?: unknown }): string | undefined {
  const status = object.status as { modelStatus?: { states?: { activeModelState?: string } } } | undefined;
  return status?.modelStatus?.states?.activeModelState;
}

/**
 * Watches InferenceServices (all namespaces, or one) from a resourceVersion and remembers when each first
 * satisfied `reached` (default: active model `Loaded`). `until` resolves once every given key has.
 */
export class ReachedWatch {
  /** By `namespace/name`: `performance.now()` when the watch first saw the object reach the state. */
  readonly reachedAt = new Map<string, number>();
  readonly #abort = new AbortController();
  readonly #waiters: Array<() => void> = [];
  #resourceVersion: string;
  #running: Promise<void>;
  #failure: Error | undefined;

  constructor(
    private readonly client: KubeClient,
    resourceVersion: string,
    private readonly reached: (object: InferenceServiceObject) => boolean = (o) =>
      activeModelState(o) === "Loaded",
    private readonly namespace?: string,
  ) {
    this.#resourceVersion = resourceVersion;
    this.#running = this.#loop();
  }

  /** The current collection resourceVersion, to start a watch that misses nothing after it. */
  static async currentResourceVersion(client: KubeClient): Promise<string> {
    const list = await client.list(INFERENCE_SERVICES, { limit: 1 });
    return list.metadata?.resourceVersion ?? "0";
  }

  /** Resolves when every key has reached the state; rejects after `timeoutMs`. */
  async until(keys: Iterable<string>, timeoutMs: number): Promise<void> {
    const wanted = [...keys];
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.#failure) throw this.#failure;
      const missing = wanted.filter((key) => !this.reachedAt.has(key));
      if (missing.length === 0) return;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `${missing.length} of ${wanted.length} did not reach the state (first: ${missing[0]})`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Forgets a key, so that it can be timed again. */
  reset(key: string): void {
    this.reachedAt.delete(key);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running.catch(() => undefined);
  }

  #onEvent(event: WatchEvent): void {
    if (event.type === "BOOKMARK") {
      this.#resourceVersion = event.object.metadata?.resourceVersion ?? this.#resourceVersion;
      return;
    }
    if (event.type === "ERROR") throw new Error(`watch error: ${event.object.message ?? "unknown"}`);
    this.#resourceVersion = event.object.metadata?.resourceVersion ?? this.#resourceVersion;
    if (event.type === "DELETED") return;
    const key = modelKeyOf({
      namespace: event.object.metadata?.namespace ?? "",
      name: event.object.metadata?.name ?? "",
    });
    if (this.reachedAt.has(key) || !this.reached(event.object as InferenceServiceObject)) return;
    this.reachedAt.set(key, performance.now());
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #loop(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      try {
        await this.client.watch(
          INFERENCE_SERVICES,
          {
            ...(this.namespace === undefined ? {} : { namespace: this.namespace }),
            resourceVersion: this.#resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: 600,
          },
          (event) => this.#onEvent(event),
          this.#abort.signal,
        );
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        this.#failure = error instanceof Error ? error : new Error(String(error));
        for (const wake of this.#waiters.splice(0)) wake();
        return;
      }
    }
  }
}

/** The p-th percentile (0–100) by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
