/**
 * Informer figures: ingest rate of a paged initial list, watch-event rate into a work queue, and the heap the
 * cache takes for 10,000 InferenceService-sized objects (target: under 60 MiB), with and without stripping
 * managedFields and the last-applied annotation. The source is in memory and returns JSON text parsed per page,
 * as a real list is, so the figures are the informer's own cost. Run: npx tsx bench/informer.ts
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { INFERENCE_SERVICES } from "../src/apis/resource-types.js";
import { Informer, type ListWatcher } from "../src/controller-runtime/informer.js";
import type { WatchEvent } from "../src/controller-runtime/kube-client.js";
import { WorkQueue } from "../src/controller-runtime/workqueue.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const OBJECTS = 10_000;
const PAGE = 500;

/** An InferenceService as the API server returns it for a ModelMesh model: spec, status, managedFields. */
function inferenceService(i: number): Record<string, unknown> {
  const name = `model-${i}`;
  const namespace = `team-${i % 20}`;
  const spec = {
    predictor: {
      model: {
        modelFormat: { name: "sklearn", version: "1" },
        runtime: "mlserver-1.x",
        storage: {
          key: "localMinIO",
          path: `sklearn/${name}/mnist-svm.joblib`,
          parameters: { bucket: "modelmesh-example-models" },
        },
      },
    },
  };
  return {
    apiVersion: "serving.kserve.io/v1beta1",
    kind: "InferenceService",
    metadata: {
      name,
      namespace,
      uid: `6f1c2a4e-${String(i).padStart(4, "0")}-4a1b-9c3d-${(1e11 + i).toString(16)}`,
      resourceVersion: String(100_000 + i),
      generation: 3,
      creationTimestamp: "2024-05-01T10:00:00Z",
      labels: { "app.kubernetes.io/part-of": "ml-platform", team: namespace, "model-family": "sklearn" },
      annotations: {
        "serving.kserve.io/deploymentMode": "ModelMesh",
        "serving.kserve.io/secretKey": "localMinIO",
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
          apiVersion: "serving.kserve.io/v1beta1",
          kind: "InferenceService",
          metadata: { annotations: { "serving.kserve.io/deploymentMode": "ModelMesh" }, name, namespace },
          spec,
        }),
      },
      finalizers: ["inferenceservice.finalizers"],
      managedFields: [
        {
          manager: "kubectl-client-side-apply",
          operation: "Update",
          apiVersion: "serving.kserve.io/v1beta1",
          time: "2024-05-01T10:00:00Z",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": {
              "f:annotations": {
                ".": {},
                "f:kubectl.kubernetes.io/last-applied-configuration": {},
                "f:serving.kserve.io/deploymentMode": {},
              },
            },
            "f:spec": {
              ".": {},
              "f:predictor": {
                ".": {},
                "f:model": {
                  ".": {},
                  "f:modelFormat": { ".": {}, "f:name": {} },
                  "f:runtime": {},
                  "f:storage": {
                    ".": {},
                    "f:key": {},
                    "f:path": {},
                    "f:parameters": { ".": {}, "f:bucket": {} },
                  },
                },
              },
            },
          },
        },
        {
          manager: "modelmesh-controller",
          operation: "Update",
          apiVersion: "serving.kserve.io/v1beta1",
          time: "2024-05-01T10:00:05Z",
          fieldsType: "FieldsV1",
          subresource: "status",
          fieldsV1: {
            "f:status": {
              ".": {},
              "f:address": { ".": {}, "f:url": {} },
              "f:components": {},
              "f:conditions": {},
              "f:modelStatus": { ".": {}, "f:copies": {}, "f:states": {}, "f:transitionStatus": {} },
              "f:url": {},
            },
          },
        },
      ],
    },
    spec,
    status: {
      url: `grpc://modelmesh-serving.${namespace}:8033`,
      address: { url: `http://modelmesh-serving.${namespace}:8008/v2/models/${name}/infer` },
      components: {
        predictor: {
          grpcUrl: `grpc://modelmesh-serving.${namespace}:8033`,
          restUrl: `http://modelmesh-serving.${namespace}:8008`,
          url: `grpc://modelmesh-serving.${namespace}:8033`,
        },
      },
      conditions: [
        { type: "PredictorReady", status: "True", lastTransitionTime: "2024-05-01T10:00:05Z" },
        { type: "Ready", status: "True", lastTransitionTime: "2024-05-01T10:00:05Z" },
      ],
      modelStatus: {
        copies: { failedCopies: 0, totalCopies: 1 },
        states: { activeModelState: "Loaded", targetModelState: "" },
        transitionStatus: "UpToDate",
      },
    },
  };
}

/** Pages as JSON text, parsed on each list call like a response body. */
function listSource(count: number): ListWatcher<KubernetesObject> {
  const pages: string[] = [];
  for (let start = 0; start < count; start += PAGE) {
    const items = Array.from({ length: Math.min(PAGE, count - start) }, (_, j) =>
      inferenceService(start + j),
    );
    const next = start + PAGE < count ? String(start + PAGE) : undefined;
    pages.push(JSON.stringify({ items, metadata: { resourceVersion: "200000", _continue: next } }));
  }
  return {
    list: async (options) =>
      JSON.parse(
        pages[Number(options.continue ?? 0) / PAGE] ?? "{}",
      ) as KubernetesListObject<KubernetesObject>,
    watch: (_options, _onEvent, signal) =>
      new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
  };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function cacheHeap(strip: boolean): Promise<void> {
  const source = listSource(OBJECTS);
  gc();
  const before = process.memoryUsage().heapUsed;
  const started = performance.now();
  const informer = new Informer<KubernetesObject>({
    type: INFERENCE_SERVICES,
    listWatcher: source,
    indexers: { namespace: (o) => [o.metadata?.namespace ?? ""] },
    ...(strip ? {} : { transform: (o: KubernetesObject) => o }),
  });
  informer.start();
  await informer.waitForSync(60_000);
  const listMs = performance.now() - started;
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(
    `cache of ${OBJECTS.toLocaleString("en")} InferenceServices, ${strip ? "stripped (default)" : "unstripped        "}: ` +
      `heap ${mib(after - before).padStart(9)}  (${((after - before) / OBJECTS / 1024).toFixed(2)} KiB/object)  ` +
      `initial list ${Math.round(OBJECTS / (listMs / 1000)).toLocaleString("en")} objects/s`,
  );
  await informer.stop();
}

async function watchThroughput(): Promise<void> {
  const events = 200_000;
  const lines = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({ type: "MODIFIED", object: inferenceService(i) }),
  );
  let deliver: (() => void) | undefined;
  const source: ListWatcher<KubernetesObject> = {
    list: async () => ({ apiVersion: "v1", kind: "List", items: [], metadata: { resourceVersion: "1" } }),
    watch: (_options, onEvent, signal) =>
      new Promise((resolve) => {
        deliver = () => {
          for (let i = 0; i < events; i++)
            onEvent(JSON.parse(lines[i % lines.length] as string) as WatchEvent);
        };
        signal.addEventListener("abort", () => resolve(), { once: true });
      }),
  };
  const informer = new Informer<KubernetesObject>({ type: INFERENCE_SERVICES, listWatcher: source });
  const queue = new WorkQueue({ name: "bench" });
  informer.addEventHandler({
    onAdd: (o) => queue.add(`${o.metadata?.namespace}/${o.metadata?.name}`),
    onUpdate: (_old, o) => queue.add(`${o.metadata?.namespace}/${o.metadata?.name}`),
  });
  informer.start();
  await informer.waitForSync(10_000);
  while (deliver === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
  const started = performance.now();
  deliver();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `watch events (parse + cache + enqueue): ${Math.round(events / seconds).toLocaleString("en")} events/s ` +
      `(${events.toLocaleString("en")} events over 1,000 keys; queue holds ${queue.length})`,
  );
  queue.shutDown();
  await informer.stop();
}

console.log(`node ${process.version}`);
await cacheHeap(true);
await cacheHeap(false);
await watchThroughput();
