/**
 * The controller learns that a load ended by asking (decision 0173): the emulator, like the real model-mesh, writes
 * nothing to its registry when a load succeeds. Loads here take longer than the delayed first look, so every model
 * shows `Loading` first; the time the mesh had the model loaded is taken from the mesh itself, by a blocking
 * `ensureLoaded(sync)` of the test's own.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Watcher } from "etcd3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PREDICTORS } from "../../src/apis/resource-types.js";
import type { PredictorSpec, PredictorStatus } from "../../src/apis/serving/v1alpha1/predictor.js";
import { concreteModelId } from "../../src/modelmesh-client/model-id.js";
import { REGISTRY_TABLE } from "../../src/modelmesh-client/registry/registry-watcher.js";
import { MeshCaller } from "../support/emulator/mesh-caller.js";
import { type ModelHarness, startModelHarness } from "../support/models/mesh-harness.js";
import { sequence, summary } from "../support/models/statuses.js";

type Predictor = KubernetesObject & { spec: PredictorSpec; status?: PredictorStatus };

const LOAD_TIME_MS = 1_500;
const PATHS = ["sklearn/v1", "sklearn/v2"];
const LOADED = "Loaded//UpToDate/available";

describe("model controller: load completion against a mesh that announces none", () => {
  let h: ModelHarness;
  let mesh: MeshCaller;
  /** Registry writes seen, with when they arrived. */
  const registryWrites: Array<{ modelId: string; at: number }> = [];
  let watcher: Watcher;

  const spec = (path: string): PredictorSpec => ({
    modelType: { name: "sklearn" },
    path,
    storage: { s3: { secretKey: "localMinIO" } },
  });
  const statusOf = async (name: string) =>
    (await h.client.get<Predictor>(PREDICTORS, name, h.namespace))?.status;
  /** Resolves when the mesh has the model loaded (its blocking ensureLoaded answers), with that time. */
  const meshLoaded = async (modelId: string) => {
    const reply = await mesh.call("ensureLoaded", { modelId, sync: true }, 30_000);
    expect(reply).toMatchObject({ ok: true });
    return Date.now();
  };
  const loadedAt = async (name: string) => {
    for (;;) {
      if (summary(await statusOf(name)) === LOADED) return Date.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    h = await startModelHarness({
      kubeconfigPath: inject("kubeconfigPath"),
      etcdEndpoint: inject("etcdEndpoint"),
      modelPaths: PATHS,
      loadTimeMs: LOAD_TIME_MS,
    });
    mesh = new MeshCaller(`127.0.0.1:${h.emulator.port}`);
    watcher = await h.etcd.watch().prefix(`${h.servicePrefix}/${REGISTRY_TABLE}`).create();
    watcher.on("put", (kv) =>
      registryWrites.push({
        modelId: kv.key.toString().slice(`${h.servicePrefix}/${REGISTRY_TABLE}`.length),
        at: Date.now(),
      }),
    );
    await h.addRuntime("mlserver-1.x", ["mt:sklearn", "rt:mlserver-1.x"]);
    await h.setReady("mlserver-1.x", 1);
    await h.startController();
  });

  afterAll(async () => {
    await watcher?.cancel();
    mesh?.close();
    await h?.close();
  });

  it("a first load reaches Loaded within 1 s of the mesh having it, with no registry write at its end", async () => {
    const name = "first";
    const modelId = concreteModelId(name, "ksp", spec(PATHS[0] as string));
    const created = Date.now();
    await h.client.create<Predictor>(PREDICTORS, {
      apiVersion: PREDICTORS.apiVersion,
      kind: PREDICTORS.kind,
      metadata: { name, namespace: h.namespace },
      spec: spec(PATHS[0] as string),
    });
    await expect.poll(async () => h.registry(modelId), { timeout: 10_000 }).toBeDefined();
    const [meshHadIt, statusSaid] = await Promise.all([meshLoaded(modelId), loadedAt(name)]);
    expect(meshHadIt - created).toBeGreaterThanOrEqual(LOAD_TIME_MS - 100);
    expect(statusSaid - meshHadIt).toBeLessThan(1_000);
    await expect.poll(() => sequence(h.predictors.of(name)).at(-1)).toBe(LOADED);
    expect(sequence(h.predictors.of(name))).toEqual([
      "Pending//UpToDate/unavailable",
      "Loading//UpToDate/available",
      LOADED,
    ]);
    // Registration and placement; nothing once the load ended.
    const writes = registryWrites.filter((w) => w.modelId === modelId);
    expect(writes).toHaveLength(2);
    expect(writes.every((w) => w.at < meshHadIt - LOAD_TIME_MS / 2)).toBe(true);
  });

  it("a transition's target reaches UpToDate within 1 s of the mesh having it loaded", async () => {
    const name = "first";
    const target = concreteModelId(name, "ksp", spec(PATHS[1] as string));
    await h.client.mergePatch(PREDICTORS, { namespace: h.namespace, name }, { spec: { path: PATHS[1] } });
    await expect.poll(async () => h.registry(target), { timeout: 10_000 }).toBeDefined();
    const [meshHadIt, statusSaid] = await Promise.all([meshLoaded(target), loadedAt(name)]);
    expect(statusSaid - meshHadIt).toBeLessThan(1_000);
    await expect.poll(() => sequence(h.predictors.of(name)).at(-1)).toBe(LOADED);
    expect(sequence(h.predictors.of(name)).slice(-2)).toEqual([
      "Loaded/Loading/InProgress/available",
      LOADED,
    ]);
  });

  it("many loads at once: each reaches Loaded within 1 s of the mesh having it", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `many-${i}`);
    await Promise.all(
      names.map((name) =>
        h.client.create<Predictor>(PREDICTORS, {
          apiVersion: PREDICTORS.apiVersion,
          kind: PREDICTORS.kind,
          metadata: { name, namespace: h.namespace },
          spec: spec(PATHS[0] as string),
        }),
      ),
    );
    const lags = await Promise.all(
      names.map(async (name) => {
        const modelId = concreteModelId(name, "ksp", spec(PATHS[0] as string));
        await expect.poll(async () => h.registry(modelId), { timeout: 10_000 }).toBeDefined();
        const [meshHadIt, statusSaid] = await Promise.all([meshLoaded(modelId), loadedAt(name)]);
        return statusSaid - meshHadIt;
      }),
    );
    expect(Math.max(...lags)).toBeLessThan(1_000);
  }, 60_000);
});
