/**
 * Transitions at their edges, against the emulator as the real model-mesh behaves: a model moved to a runtime
 * scaled to zero waits for its pod (decision 0176), and a revert to the active model during a transition keeps
 * serving but hits model-mesh's reference leak, which the controller reports (decision 0177).
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CORE_EVENTS, PREDICTORS } from "../../src/apis/resource-types.js";
import type { PredictorSpec, PredictorStatus } from "../../src/apis/serving/v1alpha1/predictor.js";
import { REFERENCE_LEAK_REASON } from "../../src/controllers/model/reconciler.js";
import { MESSAGES } from "../../src/controllers/model/status.js";
import { concreteModelId } from "../../src/modelmesh-client/model-id.js";
import { MeshCaller } from "../support/emulator/mesh-caller.js";
import { type ModelHarness, startModelHarness } from "../support/models/mesh-harness.js";
import { summary } from "../support/models/statuses.js";

type Predictor = KubernetesObject & { spec: PredictorSpec; status?: PredictorStatus };
type CoreEvent = KubernetesObject & { reason?: string; message?: string; type?: string };

const LOADED = "Loaded//UpToDate/available";
const GOOD = "sklearn/v1";
const MISSING = "sklearn/not-in-the-store";
const ONNX = "onnx/v1";

describe("model controller: transitions at their edges", () => {
  let h: ModelHarness;

  const spec = (path: string, type = "sklearn"): PredictorSpec => ({
    modelType: { name: type },
    path,
    storage: { s3: { secretKey: "localMinIO" } },
  });
  const create = (name: string, s: PredictorSpec) =>
    h.client.create<Predictor>(PREDICTORS, {
      apiVersion: PREDICTORS.apiVersion,
      kind: PREDICTORS.kind,
      metadata: { name, namespace: h.namespace },
      spec: s,
    });
  const update = (name: string, s: PredictorSpec) =>
    h.client.mergePatch(PREDICTORS, { namespace: h.namespace, name }, { spec: s });
  const status = async (name: string) =>
    (await h.client.get<Predictor>(PREDICTORS, name, h.namespace))?.status;
  const until = (name: string, expected: string) =>
    expect.poll(async () => summary(await status(name)), { timeout: 20_000, interval: 50 }).toBe(expected);

  beforeAll(async () => {
    h = await startModelHarness({
      kubeconfigPath: inject("kubeconfigPath"),
      etcdEndpoint: inject("etcdEndpoint"),
      modelPaths: [GOOD, ONNX],
    });
    await h.addRuntime("mlserver-1.x", ["mt:sklearn", "rt:mlserver-1.x"]);
    await h.setReady("mlserver-1.x", 1);
    // Scaled to zero: its Deployment exists, no pod is ready.
    await h.addRuntime("triton-2.x", ["mt:onnx", "rt:triton-2.x"]);
    await h.setReady("triton-2.x", 0);
    await h.startController();
  });

  afterAll(async () => {
    await h?.close();
  });

  it("a model moved to a runtime scaled to zero waits for its pod, with a time, then moves", async () => {
    await create("mover", spec(GOOD));
    await until("mover", LOADED);
    await update("mover", spec(ONNX, "onnx"));
    await until("mover", "Loaded/Loading/InProgress/unavailable/RuntimeUnhealthy");
    const waiting = await status("mover");
    expect(waiting?.lastFailureInfo).toMatchObject({
      reason: "RuntimeUnhealthy",
      message: MESSAGES.waitingForSupportingRuntime,
      modelId: concreteModelId("mover", "ksp", spec(ONNX, "onnx")),
    });
    expect(waiting?.lastFailureInfo?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await h.setReady("triton-2.x", 1);
    await until("mover", LOADED);
    expect(await h.vmodel("mover")).toMatchObject({
      amid: concreteModelId("mover", "ksp", spec(ONNX, "onnx")),
    });
  });

  it("a revert during a failed transition keeps serving and reports model-mesh's reference leak", async () => {
    const active = concreteModelId("revert", "ksp", spec(GOOD));
    await create("revert", spec(GOOD));
    await until("revert", LOADED);
    await update("revert", spec(MISSING));
    await until("revert", "Loaded/FailedToLoad/BlockedByFailedLoad/available/ModelLoadFailed");
    await update("revert", spec(GOOD));
    await until("revert", LOADED);
    const events = await h.client.list<CoreEvent>(CORE_EVENTS, {
      namespace: h.namespace,
      fieldSelector: "involvedObject.name=revert",
    });
    const leak = events.items.find((e) => e.reason === REFERENCE_LEAK_REASON);
    expect(leak?.type).toBe("Warning");
    expect(leak?.message).toContain(active);
    // The leak itself, as the real mesh has it: the model outlives its vmodel and cannot be unregistered.
    await h.client.delete(PREDICTORS, "revert", h.namespace);
    await expect.poll(() => h.vmodel("revert"), { timeout: 20_000 }).toBeUndefined();
    expect(await h.registry(active)).toMatchObject({ refs: 1 });
    const mesh = new MeshCaller(`127.0.0.1:${h.emulator.port}`);
    try {
      expect(await mesh.call("unregisterModel", { modelId: active })).toMatchObject({
        ok: false,
        codeName: "FAILED_PRECONDITION",
        details: `Model ${active} has referents`,
      });
    } finally {
      mesh.close();
    }
  });

  it("an ordinary update records no leak", async () => {
    await create("plain", spec(GOOD));
    await until("plain", LOADED);
    await update("plain", spec(MISSING));
    await until("plain", "Loaded/FailedToLoad/BlockedByFailedLoad/available/ModelLoadFailed");
    const events = await h.client.list<CoreEvent>(CORE_EVENTS, {
      namespace: h.namespace,
      fieldSelector: "involvedObject.name=plain",
    });
    expect(events.items.filter((e) => e.reason === REFERENCE_LEAK_REASON)).toEqual([]);
  });
});
