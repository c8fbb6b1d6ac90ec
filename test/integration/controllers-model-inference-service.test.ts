import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { INFERENCE_SERVICES, PREDICTORS } from "../../src/apis/resource-types.js";
import type { InferenceServiceStatus } from "../../src/apis/serving/v1beta1/inference-service.js";
import { VMODEL_FINALIZER } from "../../src/controllers/model/index.js";
import { SERVICE_NAME } from "../support/controller/user-config.js";
import { metricSum } from "../support/metrics/metric-sum.js";
import { type ModelHarness, startModelHarness } from "../support/models/mesh-harness.js";
import { isvcSequence } from "../support/models/statuses.js";

type Isvc = KubernetesObject & { spec: unknown; status?: InferenceServiceStatus };

const MODEL_MESH = { "serving.kserve.io/deploymentMode": "ModelMesh" };
const LOADED = "Loaded//UpToDate/available";
const PENDING = "Pending//UpToDate/unavailable";

describe("model controller: InferenceServices against the ModelMesh emulator", () => {
  let h: ModelHarness;

  const createIsvc = (name: string, predictor: unknown, annotations: Record<string, string> = MODEL_MESH) =>
    h.client.create<Isvc>(INFERENCE_SERVICES, {
      apiVersion: INFERENCE_SERVICES.apiVersion,
      kind: INFERENCE_SERVICES.kind,
      metadata: { name, namespace: h.namespace, annotations },
      spec: { predictor },
    });
  const get = (name: string) => h.client.get<Isvc>(INFERENCE_SERVICES, name, h.namespace);
  const current = async (name: string) => isvcSequence([(await get(name))?.status])[0];
  /** Waits until the API server holds `expected` and the recording has seen it. */
  const until = async (name: string, expected: string) => {
    await expect.poll(() => current(name), { timeout: 20_000, interval: 50 }).toBe(expected);
    await expect
      .poll(() => isvcSequence(h.inferenceServices.of(name)).at(-1), { timeout: 5_000, interval: 20 })
      .toBe(expected);
  };
  const grpc = () => `grpc://${SERVICE_NAME}.${h.namespace}:8033`;

  beforeAll(async () => {
    h = await startModelHarness({
      kubeconfigPath: inject("kubeconfigPath"),
      etcdEndpoint: inject("etcdEndpoint"),
      modelPaths: ["sklearn/mnist-svm.joblib", "sklearn/mnist-v2"],
    });
    await h.addRuntime("mlserver-1.x", [
      "mt:sklearn",
      "mt:sklearn:0",
      "pv:grpc-v2",
      "pv:v2",
      "rt:mlserver-1.x",
    ]);
    await h.setReady("mlserver-1.x", 1);
    await h.startController();
  });

  afterAll(async () => {
    await h?.close();
  });

  it("the new form (model.modelFormat, storageUri) loads and gets the ready conditions and URLs", async () => {
    await createIsvc("isvc-new", {
      model: {
        modelFormat: { name: "sklearn" },
        protocolVersion: "grpc-v2",
        storageUri: "s3://modelmesh-example-models/sklearn/mnist-svm.joblib",
      },
    });
    await until("isvc-new", LOADED);
    expect(isvcSequence(h.inferenceServices.of("isvc-new"))).toEqual([
      PENDING,
      "Loading//UpToDate/available",
      LOADED,
    ]);
    const isvc = await get("isvc-new");
    expect(isvc?.metadata?.finalizers ?? []).not.toContain(VMODEL_FINALIZER);
    expect(isvc?.status).toMatchObject({
      url: grpc(),
      components: {
        predictor: { url: grpc(), grpcUrl: grpc(), restUrl: `http://${SERVICE_NAME}.${h.namespace}:8008` },
      },
      modelStatus: {
        transitionStatus: "UpToDate",
        states: { activeModelState: "Loaded" },
        copies: { failedCopies: 0, totalCopies: 1 },
      },
    });
    expect(isvc?.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      "PredictorReady=True",
      "Ready=True",
    ]);
    expect((await h.vmodel("isvc-new"))?.o).toBe("isvc");
  });

  it("a settled InferenceService is not written again when it is reconciled (its stored status is a fixed point)", async () => {
    const patches = () =>
      metricSum(
        h.context?.manager.registry,
        "rest_client_requests_total",
        (labels) => labels.method === "PATCH",
      );
    const reconciles = () =>
      metricSum(
        h.context?.manager.registry,
        "controller_runtime_reconcile_total",
        (l) => l.controller === "Predictor",
      );
    const before = await get("isvc-new");
    const [patchesBefore, reconcilesBefore] = [await patches(), await reconciles()];
    // A label change is a reason to reconcile that changes nothing the status depends on.
    await h.client.mergePatch(
      INFERENCE_SERVICES,
      { namespace: h.namespace, name: "isvc-new" },
      {
        metadata: { labels: { touched: "yes" } },
      },
    );
    await expect.poll(reconciles, { timeout: 10_000 }).toBeGreaterThan(reconcilesBefore);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await patches()).toBe(patchesBefore);
    expect((await get("isvc-new"))?.status).toEqual(before?.status);
  });

  it("the old form (framework field) loads too", async () => {
    await createIsvc("isvc-old", { sklearn: { storageUri: "s3://bucket/sklearn/mnist-v2" } });
    await until("isvc-old", LOADED);
    expect(isvcSequence(h.inferenceServices.of("isvc-old"))).toEqual([
      PENDING,
      "Loading//UpToDate/available",
      LOADED,
    ]);
  });

  it("keeps status fields other controllers own, and condition times while their status holds", async () => {
    const from = h.inferenceServices.of("isvc-new").length;
    const before = await get("isvc-new");
    const readySince = before?.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime;
    await h.client.mergePatch(
      INFERENCE_SERVICES,
      { namespace: h.namespace, name: "isvc-new", subresource: "status" },
      {
        status: {
          observedGeneration: 7,
          address: { url: "http://elsewhere" },
          conditions: [
            ...(before?.status?.conditions ?? []),
            { type: "IngressReady", status: "True", lastTransitionTime: "2026-01-01T00:00:00Z" },
          ],
        },
      },
    );
    await h.client.mergePatch(
      INFERENCE_SERVICES,
      { namespace: h.namespace, name: "isvc-new" },
      { spec: { predictor: { model: { storageUri: "s3://modelmesh-example-models/sklearn/mnist-v2" } } } },
    );
    await expect
      .poll(async () => isvcSequence(h.inferenceServices.of("isvc-new").slice(from - 1)), { timeout: 20_000 })
      .toEqual([LOADED, "Loaded/Loading/InProgress/available", LOADED]);
    const after = await get("isvc-new");
    expect(after?.status).toMatchObject({ observedGeneration: 7, address: { url: "http://elsewhere" } });
    expect(after?.status?.conditions?.map((c) => c.type)).toEqual([
      "IngressReady",
      "PredictorReady",
      "Ready",
    ]);
    expect(after?.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime).toBe(readySince);
  });

  it("an invalid InferenceService gets InvalidSpec with the reason, and no vmodel", async () => {
    await createIsvc("isvc-bad", { sklearn: {} });
    await until("isvc-bad", "Pending//InvalidSpec/unavailable/InvalidPredictorSpec");
    expect((await get("isvc-bad"))?.status?.modelStatus?.lastFailureInfo?.message).toBe(
      `the InferenceService ${h.namespace}/isvc-bad must have either the storageUri or the storage.path`,
    );
    expect(await h.vmodel("isvc-bad")).toBeUndefined();
  });

  it("a Predictor and an InferenceService of one name do not collide in our resources", async () => {
    await h.client.create(PREDICTORS, {
      apiVersion: PREDICTORS.apiVersion,
      kind: PREDICTORS.kind,
      metadata: { name: "twin", namespace: h.namespace },
      spec: { modelType: { name: "sklearn" }, storage: { path: "sklearn/mnist-svm.joblib" } },
    });
    await expect.poll(async () => (await h.vmodel("twin"))?.o, { timeout: 20_000 }).toBe("ksp");
    await createIsvc("twin", { sklearn: { storageUri: "s3://bucket/sklearn/mnist-v2" } });
    await until("twin", "Pending//UpToDate/unavailable/InvalidPredictorSpec");
    expect((await get("twin"))?.status?.modelStatus?.lastFailureInfo?.message).toBe(
      "Predictor already exists with the same name from a different source",
    );
    // The Predictor keeps the name and loads as usual (its first status may come a moment later, decision 0090).
    const predictorState = async () =>
      (
        await h.client.get<KubernetesObject & { status?: { activeModelState?: string } }>(
          PREDICTORS,
          "twin",
          h.namespace,
        )
      )?.status?.activeModelState;
    await expect.poll(predictorState, { timeout: 20_000 }).toMatch(/Loading|Loaded/);

    // Once the Predictor is gone the name is free and the InferenceService gets it, with no event of its own.
    await h.client.delete(PREDICTORS, "twin", h.namespace);
    await until("twin", LOADED);
    expect((await h.vmodel("twin"))?.o).toBe("isvc");
  });

  it("an InferenceService that stops being ModelMesh's is deregistered and released", async () => {
    // As an earlier version left it: with the finalizer, which must be released.
    await h.client.mergePatch(
      INFERENCE_SERVICES,
      { namespace: h.namespace, name: "isvc-old" },
      { metadata: { finalizers: [VMODEL_FINALIZER] } },
    );
    await h.client.mergePatch(
      INFERENCE_SERVICES,
      { namespace: h.namespace, name: "isvc-old" },
      { metadata: { annotations: { "serving.kserve.io/deploymentMode": null } } },
    );
    await expect.poll(() => h.vmodel("isvc-old"), { timeout: 20_000 }).toBeUndefined();
    await expect
      .poll(async () => (await get("isvc-old"))?.metadata?.finalizers ?? [], { timeout: 20_000 })
      .not.toContain(VMODEL_FINALIZER);
    await h.client.delete(INFERENCE_SERVICES, "isvc-old", h.namespace);
    await expect.poll(() => get("isvc-old"), { timeout: 20_000 }).toBeUndefined();
  });
});
