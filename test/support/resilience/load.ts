/**
 * A small load generator for the resilience suites: N ModelMesh InferenceServices created with bounded
 * parallelism, and the shape of each one (a tenth point at a path the model store lacks, so they must end
 * FailedToLoad: convergence then means "Loaded, or the correct failure").
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { INFERENCE_SERVICES } from "../../../src/apis/resource-types.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { forEachBounded } from "../async/bounded-parallelism.js";
import { modelMeshInferenceService } from "../models/inference-services.js";

export const MODEL_FORMAT = "sklearn";
/** Present in the emulator's model store. */
export const GOOD_MODEL_PATH = "sklearn/mnist-svm.joblib";
const MISSING_MODEL_PATH = "sklearn/not-in-the-store";

export type ExpectedState = "Loaded" | "FailedToLoad";

export interface LoadItem {
  readonly name: string;
  readonly expected: ExpectedState;
}

/** `count` names with their expected end state, from `start` (names stay unique across batches). */
export function loadPlan(prefix: string, count: number, start = 0): LoadItem[] {
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    return {
      name: `${prefix}-${String(n).padStart(5, "0")}`,
      expected: n % 10 === 9 ? "FailedToLoad" : "Loaded",
    };
  });
}

export function inferenceService(namespace: string, item: LoadItem): KubernetesObject {
  const path = item.expected === "Loaded" ? GOOD_MODEL_PATH : MISSING_MODEL_PATH;
  return modelMeshInferenceService(namespace, item.name, {
    modelFormat: { name: MODEL_FORMAT },
    storageUri: `s3://models/${path}`,
  });
}

/** Runs `task` over `items` with at most `parallelism` in flight, each retried while the API server refuses it. */
export function forEachRetried<T>(
  items: readonly T[],
  parallelism: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  return forEachBounded(items, parallelism, (item) => retried(() => task(item)));
}

async function retried(call: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await call();
      return;
    } catch (error) {
      // An API server restart or a webhook without a server refuses a few requests: try again.
      if (attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Creates the InferenceServices (an "already exists" answer to a retried create counts as created). */
export async function createInferenceServices(
  client: KubeClient,
  namespace: string,
  items: readonly LoadItem[],
  options: { parallelism?: number; onCreated?: (created: number) => void } = {},
): Promise<void> {
  let created = 0;
  await forEachRetried(items, options.parallelism ?? 8, async (item) => {
    try {
      await client.create(INFERENCE_SERVICES, inferenceService(namespace, item));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    }
    options.onCreated?.(++created);
  });
}

/** Resolves once `count()` reaches `target` (polled). */
export async function until(count: () => number, target: number): Promise<void> {
  while (count() < target) await new Promise((resolve) => setTimeout(resolve, 50));
}
