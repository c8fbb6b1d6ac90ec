import type { CoreV1Event, KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CORE_EVENTS, DEPLOYMENTS, ENDPOINT_SLICES, PREDICTORS } from "../../src/apis/resource-types.js";
import type { PredictorSpec, PredictorStatus } from "../../src/apis/serving/v1alpha1/predictor.js";
import { VMODEL_FINALIZER } from "../../src/controllers/model/index.js";
import { concreteModelId } from "../../src/modelmesh-client/model-id.js";
import { SERVICE_NAME } from "../support/controller/user-config.js";
import { metricSum } from "../support/metrics/metric-sum.js";
import { type ModelHarness, startModelHarness } from "../support/models/mesh-harness.js";
import { predictorWithSpec } from "../support/models/predictors.js";
import { sequence, summary } from "../support/models/statuses.js";

type Predictor = KubernetesObject & { spec: PredictorSpec; status?: PredictorStatus };

const SKLEARN = { name: "sklearn" };
const LOADED = "Loaded//UpToDate/available";
const PENDING = "Pending//UpToDate/unavailable";

describe("model controller: Predictors against the ModelMesh emulator", () => {
  let h: ModelHarness;

  const spec = (path: string, extra: Partial<PredictorSpec> = {}): PredictorSpec => ({
    modelType: SKLEARN,
    path,
    storage: { s3: { secretKey: "localMinIO" } },
    ...extra,
  });
  const create = (name: string, predictorSpec: PredictorSpec) =>
    h.client.create(PREDICTORS, predictorWithSpec(name, h.namespace, predictorSpec));
  const get = (name: string) => h.client.get<Predictor>(PREDICTORS, name, h.namespace);
  const update = (name: string, predictorSpec: PredictorSpec) =>
    h.client.mergePatch(PREDICTORS, { namespace: h.namespace, name }, { spec: predictorSpec });
  const current = async (name: string) => summary((await get(name))?.status);
  /** The statuses recorded from `from` on, summarised. */
  const seen = (name: string, from = 0) => sequence(h.predictors.of(name).slice(from));
  /** Waits until the API server holds `expected` and the recording has seen it. */
  const until = async (name: string, expected: string, timeout = 20_000) => {
    await expect.poll(() => current(name), { timeout, interval: 50 }).toBe(expected);
    await expect.poll(() => seen(name).at(-1), { timeout: 5_000, interval: 20 }).toBe(expected);
  };

  /** model-mesh's instance id of the runtime's pod (the last 12 characters of its simulated name). */
  const mlserverInstance = () =>
    h.emulator.instances.find((i) => i.deployment.endsWith("-mlserver-1.x") && i.ready)?.id;

  beforeAll(async () => {
    h = await startModelHarness({
      kubeconfigPath: inject("kubeconfigPath"),
      etcdEndpoint: inject("etcdEndpoint"),
      modelPaths: ["sklearn/mnist-svm.joblib", "sklearn/mnist-v2", "xgboost/model"],
    });
    await h.addRuntime("mlserver-1.x", ["mt:sklearn", "mt:sklearn:0", "pv:grpc-v2", "rt:mlserver-1.x"]);
    await h.setReady("mlserver-1.x", 1);
    await h.startController();
  });

  afterAll(async () => {
    await h?.close();
  });

  it("a new predictor goes Pending → Loading → Loaded, with the inference endpoints and no finalizer", async () => {
    await create("iris", spec("sklearn/mnist-svm.joblib"));
    await until("iris", LOADED);
    expect(seen("iris")).toEqual([PENDING, "Loading//UpToDate/available", LOADED]);
    const iris = await get("iris");
    expect(iris?.metadata?.finalizers ?? []).not.toContain(VMODEL_FINALIZER);
    expect(iris?.status).toMatchObject({
      totalCopies: 1,
      failedCopies: 0,
      grpcEndpoint: `grpc://${SERVICE_NAME}.${h.namespace}:8033`,
      httpEndpoint: `http://${SERVICE_NAME}.${h.namespace}:8008`,
    });
    expect(iris?.status?.lastFailureInfo).toBeUndefined();
    expect(await h.vmodel("iris")).toEqual({
      o: "ksp",
      amid: concreteModelId("iris", "ksp", spec("sklearn/mnist-svm.joblib")),
      tmid: concreteModelId("iris", "ksp", spec("sklearn/mnist-svm.joblib")),
    });
  });

  it("a settled model is not reconciled again without an event (no polling)", async () => {
    const reconciles = () =>
      metricSum(
        h.context?.manager.registry,
        "controller_runtime_reconcile_total",
        (labels) => labels.controller === "Predictor",
      );
    // Settled: no reconcile for a second (retries of earlier tests' transient states have run out). A poller
    // of 3 s or less (upstream polled every 1 s and 3 s) would show within this second and the 2 s after it.
    let before = await reconciles();
    for (let quiet = false; !quiet; ) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const now = await reconciles();
      quiet = now === before;
      before = now;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await reconciles()).toBe(before);
  });

  it("with no ModelMesh pod reachable it waits for the runtime pod, and recovers when the endpoints return", async () => {
    const slices = await h.client.list(ENDPOINT_SLICES, { namespace: h.namespace });
    const slice = slices.items[0];
    if (slice === undefined) throw new Error("the emulator's EndpointSlice is missing");
    const setReadyEndpoint = (ready: boolean) =>
      h.client.mergePatch(
        ENDPOINT_SLICES,
        { namespace: h.namespace, name: slice.metadata?.name },
        {
          endpoints: (slice as { endpoints?: unknown[] }).endpoints?.map((e) => ({
            ...(e as object),
            conditions: { ready },
          })),
        },
      );
    await setReadyEndpoint(false);
    try {
      await create("lonely", spec("sklearn/mnist-svm.joblib"));
      await until("lonely", "Pending//UpToDate/unavailable/RuntimeUnhealthy");
      expect((await get("lonely"))?.status?.lastFailureInfo?.message).toBe(
        "Waiting for runtime Pod to become available",
      );
    } finally {
      await setReadyEndpoint(true);
    }
    await until("lonely", LOADED);
    // Whether the load in progress is seen (still marked waiting, as upstream keeps that failure while loading)
    // depends on timing.
    expect(seen("lonely").filter((line) => !line.startsWith("Loading/"))).toEqual([
      PENDING,
      "Pending//UpToDate/unavailable/RuntimeUnhealthy",
      LOADED,
    ]);
  });

  it("a spec update transitions the same vmodel: (Loaded, Loading, InProgress) then (Loaded, '', UpToDate)", async () => {
    const from = h.predictors.of("iris").length;
    await update("iris", spec("sklearn/mnist-v2"));
    const newId = concreteModelId("iris", "ksp", spec("sklearn/mnist-v2"));
    await expect.poll(async () => (await h.vmodel("iris"))?.amid, { timeout: 20_000 }).toBe(newId);
    await until("iris", LOADED);
    expect(seen("iris", from - 1)).toEqual([LOADED, "Loaded/Loading/InProgress/available", LOADED]);
    expect(await h.vmodel("iris")).toEqual({ o: "ksp", amid: newId, tmid: newId });
  });

  it("an invalid path fails with ModelLoadFailed, a location and a time", async () => {
    await create("nowhere", spec("sklearn/missing"));
    await until("nowhere", "FailedToLoad//UpToDate/unavailable/ModelLoadFailed");
    expect(seen("nowhere")).toEqual([
      PENDING,
      "Loading//UpToDate/available",
      "FailedToLoad//UpToDate/unavailable/ModelLoadFailed",
    ]);
    const failure = (await get("nowhere"))?.status?.lastFailureInfo;
    expect(failure).toMatchObject({
      reason: "ModelLoadFailed",
      location: mlserverInstance(),
      modelId: concreteModelId("nowhere", "ksp", spec("sklearn/missing")),
      message: expect.stringContaining("sklearn/missing"),
    });
    expect(Date.parse(failure?.time ?? "")).toBeGreaterThan(Date.now() - 60_000);
  });

  it("an update to an invalid path is blocked while the old model keeps serving", async () => {
    const from = h.predictors.of("iris").length;
    const servingId = concreteModelId("iris", "ksp", spec("sklearn/mnist-v2"));
    await update("iris", spec("sklearn/gone"));
    await until("iris", "Loaded/FailedToLoad/BlockedByFailedLoad/available/ModelLoadFailed");
    expect(seen("iris", from - 1)).toEqual([
      LOADED,
      "Loaded/Loading/InProgress/available",
      "Loaded/FailedToLoad/BlockedByFailedLoad/available/ModelLoadFailed",
    ]);
    expect((await h.vmodel("iris"))?.amid).toBe(servingId);
    expect(Object.keys((await h.registry(servingId))?.instanceIds ?? {})).toEqual([mlserverInstance()]);
    expect((await get("iris"))?.status?.lastFailureInfo).toMatchObject({
      location: mlserverInstance(),
      time: expect.any(String),
    });
  });

  it("an unknown model type gives NoSupportingRuntime; an unknown runtime RuntimeNotRecognized", async () => {
    await create("caffe", { ...spec("sklearn/mnist-svm.joblib"), modelType: { name: "caffe" } });
    await create("custom", spec("sklearn/mnist-svm.joblib", { runtime: { name: "no-such-runtime" } }));
    await until("caffe", "FailedToLoad//UpToDate/unavailable/NoSupportingRuntime");
    await until("custom", "FailedToLoad//UpToDate/unavailable/RuntimeNotRecognized");
    expect(seen("caffe")).toEqual([PENDING, "FailedToLoad//UpToDate/unavailable/NoSupportingRuntime"]);
    expect(seen("custom")).toEqual([PENDING, "FailedToLoad//UpToDate/unavailable/RuntimeNotRecognized"]);
    expect((await get("custom"))?.status?.lastFailureInfo?.message).toBe(
      "Specified runtime name not recognized",
    );
  });

  it("with no ready runtime it waits (RuntimeUnhealthy) and loads by itself once the runtime is ready", async () => {
    await h.addRuntime("xgb-1.x", ["mt:xgboost", "rt:xgb-1.x"]);
    // Model-mesh learns of new runtimes some time after the API server; start from the emulator's view.
    await h.emulator.waitForInstances((instances) =>
      instances.some((i) => i.deployment.endsWith("-xgb-1.x")),
    );
    await create("boost", { modelType: { name: "xgboost" }, storage: { path: "xgboost/model" } });
    await until("boost", "Loading//UpToDate/unavailable/RuntimeUnhealthy");
    expect((await get("boost"))?.status?.lastFailureInfo?.message).toBe(
      "Waiting for supporting runtime Pod to become available",
    );
    await h.setReady("xgb-1.x", 1);
    await until("boost", LOADED);
    // Whether the load in progress is seen depends on when the emulator notices the ready runtime.
    expect(seen("boost").filter((line) => line !== "Loading//UpToDate/available")).toEqual([
      PENDING,
      "Loading//UpToDate/unavailable/RuntimeUnhealthy",
      LOADED,
    ]);
    // A first load that met a failure is news up to its end, whether or not `Loading` was written on the way.
    const events = async () =>
      (await h.client.list<CoreV1Event>(CORE_EVENTS, { namespace: h.namespace })).items
        .filter((e) => e.involvedObject?.name === "boost")
        .map((e) => `${e.type} ${e.reason}: ${e.message}`);
    await expect
      .poll(events, { timeout: 10_000 })
      .toContain("Normal ModelStateChanged: Active model Loaded, transition UpToDate");
    expect(await events()).toContain(
      "Warning RuntimeUnhealthy: Waiting for supporting runtime Pod to become available",
    );
  });

  it("deleting the runtime makes the status stop claiming available", async () => {
    const from = h.predictors.of("boost").length;
    await h.client.delete(DEPLOYMENTS, `${SERVICE_NAME}-xgb-1.x`, h.namespace);
    await until("boost", "Standby//UpToDate/unavailable/NoSupportingRuntime");
    expect(seen("boost", from - 1)).toEqual([LOADED, "Standby//UpToDate/unavailable/NoSupportingRuntime"]);
  });

  it("deleting a predictor deletes its vmodel", async () => {
    expect(await h.vmodel("nowhere")).toBeDefined();
    await h.client.delete(PREDICTORS, "nowhere", h.namespace);
    await expect.poll(() => get("nowhere"), { timeout: 20_000 }).toBeUndefined();
    await expect.poll(() => h.vmodel("nowhere"), { timeout: 20_000 }).toBeUndefined();
  });

  it("a predictor deleted while the controller is down loses its vmodel when the controller is back", async () => {
    await until("iris", "Loaded/FailedToLoad/BlockedByFailedLoad/available/ModelLoadFailed");
    await h.stopController();
    await h.client.delete(PREDICTORS, "iris", h.namespace);
    await expect.poll(() => get("iris"), { timeout: 20_000 }).toBeUndefined();
    expect(await h.vmodel("iris")).toBeDefined();
    await h.startController();
    // The registry's replay at start names the vmodel; its resource is gone, so it goes too.
    await expect.poll(() => h.vmodel("iris"), { timeout: 20_000 }).toBeUndefined();
  });

  it("releases the finalizer earlier versions put on a predictor when it is deleted", async () => {
    await h.client.create<Predictor>(PREDICTORS, {
      apiVersion: PREDICTORS.apiVersion,
      kind: PREDICTORS.kind,
      metadata: { name: "legacy", namespace: h.namespace, finalizers: [VMODEL_FINALIZER] },
      spec: spec("sklearn/mnist-svm.joblib"),
    });
    await until("legacy", LOADED);
    expect((await get("legacy"))?.metadata?.finalizers).toEqual([VMODEL_FINALIZER]);
    await h.client.delete(PREDICTORS, "legacy", h.namespace);
    await expect.poll(() => get("legacy"), { timeout: 20_000 }).toBeUndefined();
    expect(await h.vmodel("legacy")).toBeUndefined();
  });
});
