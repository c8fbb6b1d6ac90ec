import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { V1EndpointSlice } from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEPLOYMENTS, ENDPOINT_SLICES, NAMESPACES } from "../../src/apis/resource-types.js";
import {
  ModelStatusInfo_ModelStatus as ModelStatus,
  VModelStatusInfo_VModelStatus as VModelStatus,
} from "../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { ModelMeshClient } from "../../src/modelmesh-client/grpc/client.js";
import { EndpointSource } from "../../src/modelmesh-client/grpc/endpoint-resolver.js";
import { readyAddresses, SERVICE_NAME_LABEL } from "../../src/modelmesh-client/grpc/endpoint-slices.js";
import { type ModelEventKey, RegistryWatcher } from "../../src/modelmesh-client/registry/registry-watcher.js";
import { SERVICE_NAME } from "../support/controller/user-config.js";
import { exposeEmulator, ModelMeshEmulator } from "../support/emulator/index.js";
import { MeshCaller, type MeshReply } from "../support/emulator/mesh-caller.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { createExactNamespace } from "../support/kube/namespaces.js";
import { runtimeDeployment, setReadyReplicas } from "../support/models/mesh-harness.js";
import type { Relay } from "../support/network/test-host.js";

const namespace = `mesh-emu-${Math.random().toString(36).slice(2, 8)}`;
const servicePrefix = `emulator-test/mm_ns/${namespace}/mm/${SERVICE_NAME}`;

describe("ModelMesh emulator behind the real resolution path", () => {
  const kubeConfig = loadKubeConfig(inject("kubeconfigPath"));
  const client = testClient(kubeConfig);
  let etcd: Etcd3;
  let emulator: ModelMeshEmulator;
  let relay: Relay | undefined;
  let mesh: ModelMeshClient;
  let caller: MeshCaller;
  let watcher: RegistryWatcher;
  const events: ModelEventKey[] = [];
  const modelsDir = mkdtempSync(path.join(tmpdir(), "mesh-models-"));

  const setReady = (runtime: string, ready: number) =>
    setReadyReplicas(client, namespace, `${SERVICE_NAME}-${runtime}`, ready);

  const status = (vModelId: string, owner = "ksp") => mesh.getVModelStatus({ vModelId, owner });
  const record = async (table: string, id: string) => {
    const text = await etcd.get(`${servicePrefix}/${table}/${id}`).string();
    return text === null ? undefined : (JSON.parse(text) as Record<string, unknown>);
  };
  const setVModel = (
    vModelId: string,
    targetModelId: string,
    type: string,
    modelPath: string,
    loadNow = true,
  ) =>
    mesh.setVModel({
      vModelId,
      owner: "ksp",
      targetModelId,
      autoDeleteTargetModel: true,
      loadNow,
      modelInfo: { type, path: modelPath, key: '{"model_type":{"name":"sklearn"}}' },
    });

  beforeAll(async () => {
    await createExactNamespace(client, namespace);
    await client.create(
      DEPLOYMENTS,
      runtimeDeployment(namespace, "mlserver-1.x", [
        "mt:sklearn",
        "mt:sklearn:0",
        "pv:grpc-v2",
        "rt:mlserver-1.x",
      ]),
    );
    mkdirSync(path.join(modelsDir, "sklearn/mnist-svm.joblib"), { recursive: true });
    mkdirSync(path.join(modelsDir, "sklearn/mnist-v2"), { recursive: true });

    etcd = new Etcd3({ hosts: inject("etcdEndpoint") });
    emulator = await ModelMeshEmulator.start({
      kubeConfig,
      namespace,
      etcd,
      servicePrefix,
      modelsDir,
      loadTimeMs: 400,
      refreshMs: 200,
    });
    relay = await exposeEmulator(kubeConfig, emulator, { namespace });

    // What the controller does: ready addresses of the Service's EndpointSlices feed the client.
    const slices = await client.list<V1EndpointSlice>(ENDPOINT_SLICES, {
      namespace,
      labelSelector: `${SERVICE_NAME_LABEL}=${SERVICE_NAME}`,
    });
    const endpoints = new EndpointSource();
    endpoints.set(readyAddresses(slices.items, "grpc"));
    mesh = new ModelMeshClient({ serviceName: SERVICE_NAME, namespace, port: 8033, endpoints });
    caller = new MeshCaller(`127.0.0.1:${emulator.port}`);
    watcher = new RegistryWatcher({ client: etcd, servicePrefix, namespace, onEvent: (e) => events.push(e) });
  });

  afterAll(async () => {
    await watcher?.stop();
    mesh?.close();
    caller?.close();
    await relay?.stop();
    await emulator?.stop();
    await etcd?.delete().prefix(`emulator-test/mm_ns/${namespace}`);
    etcd?.close();
    await client.delete(NAMESPACES, namespace).catch(() => undefined);
    rmSync(modelsDir, { recursive: true, force: true });
  });

  /** The emulated instance of the runtime's only replica. */
  const instanceId = () => {
    const [instance] = emulator.instances.filter((i) => i.deployment === `${SERVICE_NAME}-mlserver-1.x`);
    if (!instance) throw new Error("no instance");
    return instance.id;
  };

  it("fails a model with no ready runtime in the answer only, and loads it when asked again", async () => {
    const first = await setVModel("iris", "iris__ksp-0000000001", "mt:sklearn", "sklearn/mnist-svm.joblib");
    expect(first.activeModelStatus?.status).toBe(ModelStatus.LOADING_FAILED);
    expect(first.activeModelStatus?.errors).toEqual([
      "There are no running instances that meet the label requirements of type mt:sklearn: [mt:sklearn]",
    ]);
    // Not remembered: the status calls say NOT_LOADED, and nothing but the registration was written.
    expect((await status("iris")).activeModelStatus).toMatchObject({
      status: ModelStatus.NOT_LOADED,
      errors: [],
    });
    expect(await record("registry", "iris__ksp-0000000001")).not.toHaveProperty("instanceIds");

    await setReady("mlserver-1.x", 1);
    await emulator.waitForInstances((instances) => instances.some((i) => i.ready));
    expect(instanceId()).toMatch(/^[4-9bcdf]{6}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const again = await setVModel("iris", "iris__ksp-0000000001", "mt:sklearn", "sklearn/mnist-svm.joblib");
    expect(again.activeModelStatus?.status).toBe(ModelStatus.LOADING);
    const seen: ModelStatus[] = [];
    await expect
      .poll(
        async () => {
          const s = (await status("iris")).activeModelStatus?.status ?? ModelStatus.NOT_FOUND;
          if (seen.at(-1) !== s) seen.push(s);
          return s;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(ModelStatus.LOADED);
    expect(seen).toContain(ModelStatus.LOADING);

    const loaded = await status("iris");
    expect(loaded).toMatchObject({
      status: VModelStatus.DEFINED,
      activeModelId: "iris__ksp-0000000001",
      owner: "ksp",
    });
    expect(loaded.activeModelStatus?.modelCopyInfos).toEqual([
      expect.objectContaining({ location: instanceId(), copyStatus: ModelStatus.UNKNOWN }),
    ]);
    expect(await record("vmodels", "iris")).toEqual({
      o: "ksp",
      amid: "iris__ksp-0000000001",
      tmid: "iris__ksp-0000000001",
    });
    expect(await record("registry", "iris__ksp-0000000001")).toMatchObject({
      type: "mt:sklearn",
      mPath: "sklearn/mnist-svm.joblib",
      encKey: '{"model_type":{"name":"sklearn"}}',
      refs: 1,
      autoDel: true,
      instanceIds: { [instanceId()]: expect.any(Number) },
    });
    await expect.poll(() => events.map((e) => `${e.source}/${e.name}`)).toContain("ksp/iris");
  });

  it("fails types and runtimes nothing supports with model-mesh's _no_runtime message", async () => {
    const unknownType = await setVModel("odd", "odd__ksp-0000000002", "mt:caffe", "sklearn/mnist-svm.joblib");
    expect(unknownType.activeModelStatus?.errors).toEqual([
      "There are no running instances that meet the label requirements of type mt:caffe: [_no_runtime]",
    ]);
    const unknownRuntime = await setVModel("rtless", "rtless__isvc-0000000003", "rt:nope", "x");
    expect(unknownRuntime.activeModelStatus?.errors?.[0]).toBe(
      "There are no running instances that meet the label requirements of type rt:nope: [_no_runtime]",
    );
  });

  const LOAD_MS = 400;
  const modelInfo = (modelPath: string) => ({
    type: "mt:sklearn",
    path: modelPath,
    key: '{"model_type":{"name":"sklearn"}}',
  });
  const timed = async (call: () => Promise<MeshReply>) => {
    const start = Date.now();
    const reply = await call();
    if (!reply.ok) throw new Error(`${reply.codeName}: ${reply.details}`);
    return { answer: reply.response as Record<string, unknown>, ms: Date.now() - start };
  };
  const statusOf = (answer: Record<string, unknown>) => ModelStatus[answer.status as number];

  it("writes a model's record at its registration and at its load's start, never when the load completes", async () => {
    const modelId = "written__ksp-0000000010";
    const key = `${servicePrefix}/registry/${modelId}`;
    const puts: Array<Record<string, unknown>> = [];
    const watch = await etcd.watch().key(key).create();
    watch.on("put", (kv) => puts.push(JSON.parse(kv.value.toString()) as Record<string, unknown>));
    const { answer, ms } = await timed(() =>
      caller.call("registerModel", {
        modelId,
        modelInfo: modelInfo("sklearn/mnist-v2"),
        loadNow: true,
        sync: true,
      }),
    );
    expect(statusOf(answer)).toBe("LOADED");
    expect(ms).toBeGreaterThanOrEqual(LOAD_MS - 50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await watch.cancel();
    expect(puts.map((put) => Object.keys(put))).toEqual([
      ["type", "encKey", "mPath", "lu"],
      ["type", "encKey", "mPath", "instanceIds", "lu"],
    ]);
    const copy = (answer.modelCopyInfos as Array<{ time: bigint }>)[0];
    expect(Number(copy?.time)).toBe(Object.values(puts[1]?.instanceIds as object)[0]);
    await caller.call("unregisterModel", { modelId });
  });

  it("blocks sync calls until the load ends, and an ensureLoaded(sync) joins the load already in progress", async () => {
    const modelId = "joined__ksp-0000000011";
    const placed = await timed(() =>
      caller.call("registerModel", { modelId, modelInfo: modelInfo("sklearn/mnist-v2"), loadNow: true }),
    );
    expect(statusOf(placed.answer)).toBe("LOADING");
    expect(placed.ms).toBeLessThan(LOAD_MS / 2);
    const joined = await timed(() => caller.call("ensureLoaded", { modelId, sync: true }));
    expect(statusOf(joined.answer)).toBe("LOADED");
    expect(joined.ms).toBeGreaterThanOrEqual(LOAD_MS / 2);
    expect(joined.answer.modelCopyInfos).toEqual(placed.answer.modelCopyInfos);
    const again = await timed(() => caller.call("ensureLoaded", { modelId, sync: true }));
    expect(statusOf(again.answer)).toBe("LOADED");
    expect(again.ms).toBeLessThan(LOAD_MS / 2);
    await caller.call("unregisterModel", { modelId });
  });

  it("writes lu with the placement an ensureLoaded triggers: its lastUsedTime, or now", async () => {
    const lu = async (modelId: string) => Number((await record("registry", modelId))?.lu);
    const register = (modelId: string) =>
      caller.call("registerModel", { modelId, modelInfo: modelInfo("sklearn/mnist-v2") });
    const given = Date.now() - 600_000;
    await register("given__ksp-0000000013");
    expect(await lu("given__ksp-0000000013")).toBeLessThan(Date.now() - 6 * 3_600_000 + 60_000);
    await caller.call("ensureLoaded", { modelId: "given__ksp-0000000013", lastUsedTime: BigInt(given) });
    expect(await lu("given__ksp-0000000013")).toBe(given);
    await register("now__ksp-0000000014");
    const before = Date.now();
    await caller.call("ensureLoaded", { modelId: "now__ksp-0000000014" });
    expect(await lu("now__ksp-0000000014")).toBeGreaterThanOrEqual(before);
    for (const modelId of ["given__ksp-0000000013", "now__ksp-0000000014"])
      await caller.call("unregisterModel", { modelId });
  });

  it("answers the sync call that waited for a failing load with the exception's prefix, later ones without", async () => {
    const modelId = "failing__ksp-0000000012";
    const waited = await timed(() =>
      caller.call("registerModel", {
        modelId,
        modelInfo: modelInfo("sklearn/absent"),
        loadNow: true,
        sync: true,
      }),
    );
    expect(statusOf(waited.answer)).toBe("LOADING_FAILED");
    expect(waited.ms).toBeGreaterThanOrEqual(LOAD_MS - 50);
    const [error] = waited.answer.errors as string[];
    expect(error).toMatch(/^io\.grpc\.StatusRuntimeException: .*sklearn\/absent/);
    const later = await timed(() => caller.call("ensureLoaded", { modelId, sync: true }));
    expect(later.ms).toBeLessThan(LOAD_MS / 2);
    expect(statusOf(later.answer)).toBe("LOADING_FAILED");
    expect(later.answer.errors).toEqual([error?.slice("io.grpc.StatusRuntimeException: ".length)]);
    await caller.call("unregisterModel", { modelId });
  });

  it("fails a load whose path is not in the model store, with a location and a time", async () => {
    await setVModel("bad", "bad__ksp-0000000004", "mt:sklearn", "sklearn/missing");
    await expect
      .poll(async () => (await status("bad")).activeModelStatus?.status, { timeout: 10_000 })
      .toBe(ModelStatus.LOADING_FAILED);
    const failed = (await status("bad")).activeModelStatus;
    expect(failed?.errors[0]).toBe(
      `UNKNOWN: Failed to pull model from storage due to error: unable to access model local path '${modelsDir}/sklearn/missing': stat ${modelsDir}/sklearn/missing: no such file or directory`,
    );
    expect(failed?.modelCopyInfos).toEqual([
      expect.objectContaining({ location: instanceId(), copyStatus: ModelStatus.LOADING_FAILED }),
    ]);
    expect(Number(failed?.modelCopyInfos[0]?.time)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("transitions to a new target and auto-deletes the old model", async () => {
    const moving = await setVModel("iris", "iris__ksp-0000000005", "mt:sklearn", "sklearn/mnist-v2");
    expect(moving).toMatchObject({
      status: VModelStatus.TRANSITIONING,
      activeModelId: "iris__ksp-0000000001",
      targetModelId: "iris__ksp-0000000005",
    });
    expect(moving.activeModelStatus?.status).toBe(ModelStatus.LOADED);
    expect(moving.targetModelStatus?.status).toBe(ModelStatus.LOADING);
    await expect
      .poll(async () => (await status("iris")).status, { timeout: 10_000 })
      .toBe(VModelStatus.DEFINED);
    expect((await status("iris")).activeModelId).toBe("iris__ksp-0000000005");
    expect(await record("registry", "iris__ksp-0000000001")).toBeUndefined();
  });

  it("blocks a transition to a target that fails, while the active model keeps serving", async () => {
    await setVModel("iris", "iris__ksp-0000000006", "mt:sklearn", "sklearn/nowhere");
    await expect
      .poll(async () => (await status("iris")).status, { timeout: 10_000 })
      .toBe(VModelStatus.TRANSITION_FAILED);
    const blocked = await status("iris");
    expect(blocked.activeModelStatus?.status).toBe(ModelStatus.LOADED);
    expect(blocked.targetModelStatus?.status).toBe(ModelStatus.LOADING_FAILED);
    expect(await record("vmodels", "iris")).toMatchObject({ failed: true, tmid: "iris__ksp-0000000006" });
  });

  it("refuses another owner's vmodel and hides it from other owners", async () => {
    await expect(
      mesh.setVModel({
        vModelId: "iris",
        owner: "isvc",
        targetModelId: "iris__isvc-0000000007",
        modelInfo: { type: "mt:sklearn" },
      }),
    ).rejects.toMatchObject({ code: 6 /* ALREADY_EXISTS */ });
    expect((await status("iris", "isvc")).status).toBe(VModelStatus.NOT_FOUND);
  });

  it("loads one model at a time per instance by default, two where the adapter's LOADING_CONCURRENCY is 2", async () => {
    const body = runtimeDeployment(namespace, "triton-2.x", ["mt:onnx", "rt:triton-2.x"]);
    body.spec?.template.spec?.containers.push({
      name: "triton-adapter",
      image: "kserve/modelmesh-runtime-adapter:test",
      env: [{ name: "LOADING_CONCURRENCY", value: "2" }],
    });
    await client.create(DEPLOYMENTS, body);
    await setReady("triton-2.x", 1);
    await emulator.waitForInstances((instances) =>
      instances.some((i) => i.deployment === `${SERVICE_NAME}-triton-2.x` && i.ready),
    );
    expect(
      emulator.instances.find((i) => i.deployment === `${SERVICE_NAME}-triton-2.x`)?.loadingThreads,
    ).toBe(2);
    expect(
      emulator.instances.find((i) => i.deployment === `${SERVICE_NAME}-mlserver-1.x`)?.loadingThreads,
    ).toBe(1);

    const loadTogether = (type: string, ids: string[]) =>
      Promise.all(
        ids.map((modelId) =>
          timed(() =>
            caller.call("registerModel", {
              modelId,
              modelInfo: { ...modelInfo("sklearn/mnist-v2"), type },
              loadNow: true,
              sync: true,
            }),
          ),
        ),
      );
    const oneThread = (await loadTogether("mt:sklearn", ["q1__ksp-0000000020", "q2__ksp-0000000021"])).map(
      (r) => r.ms,
    );
    expect(Math.min(...oneThread)).toBeGreaterThanOrEqual(LOAD_MS - 50);
    expect(Math.max(...oneThread)).toBeGreaterThanOrEqual(2 * LOAD_MS - 50);
    const twoThreads = (await loadTogether("mt:onnx", ["p1__ksp-0000000022", "p2__ksp-0000000023"])).map(
      (r) => r.ms,
    );
    expect(Math.max(...twoThreads)).toBeLessThan(1.5 * LOAD_MS);
    for (const modelId of [
      "q1__ksp-0000000020",
      "q2__ksp-0000000021",
      "p1__ksp-0000000022",
      "p2__ksp-0000000023",
    ])
      await caller.call("unregisterModel", { modelId });
  });

  it("moves copies to the new instance when a rollout changes the runtime's pods", async () => {
    const before = instanceId();
    const activeId = (await status("iris")).activeModelId;
    await client.mergePatch(
      DEPLOYMENTS,
      { namespace, name: `${SERVICE_NAME}-mlserver-1.x` },
      { spec: { template: { metadata: { annotations: { rollout: "2" } } } } },
    );
    await emulator.waitForInstances((instances) =>
      instances.some((i) => i.deployment === `${SERVICE_NAME}-mlserver-1.x` && i.id !== before),
    );
    const after = instanceId();
    expect(after).not.toBe(before);
    await expect
      .poll(async () => Object.keys((await record("registry", activeId))?.instanceIds ?? {}), {
        timeout: 10_000,
      })
      .toEqual([after]);
    await expect
      .poll(async () => (await status("iris")).activeModelStatus?.status, { timeout: 10_000 })
      .toBe(ModelStatus.LOADED);
  });

  it("drops copies when the runtime stops being ready", async () => {
    await setReady("mlserver-1.x", 0);
    await expect
      .poll(async () => (await status("iris")).activeModelStatus?.status, { timeout: 10_000 })
      .toBe(ModelStatus.NOT_LOADED);
  });

  it("deletes a vmodel and the models it held", async () => {
    await mesh.deleteVModel({ vModelId: "iris", owner: "ksp" });
    expect((await status("iris")).status).toBe(VModelStatus.NOT_FOUND);
    expect(await record("vmodels", "iris")).toBeUndefined();
    expect(await record("registry", "iris__ksp-0000000005")).toBeUndefined();
    expect(await record("registry", "iris__ksp-0000000006")).toBeUndefined();
    await mesh.deleteVModel({ vModelId: "iris", owner: "ksp" }); // absent: still fine
  });
});
