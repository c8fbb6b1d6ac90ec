/**
 * The ModelMesh emulator against recordings of the real model-mesh (test/fixtures/model-mesh-observed/README.md).
 * Each scenario's `mmesh.ModelMesh` calls are sent again to a fresh emulator, in the same order, on the recorded
 * timeline scaled down by SCALE (the recorded loads took 3 s, the emulator's take LOAD_MS), against a runtime like
 * the recorded one (the `mlserver-1.x` labels, one replica, the type constraints the controller renders). Compared
 * after the recordings' normalization (instance id → `<instance>`, epoch ms → `<ts>`):
 * - every answer and error of the calls that are not status polls, and whether the call blocked for a load;
 * - the status polls as sequences of distinct states (`state-series.ts`);
 * - every registry and vmodel write: keys, values with their members in order, which writes shared a revision;
 * - every timestamp in those answers and writes against the recorded instant (e.g. `lu` = now − 1 h, a copy's
 *   time = its load's start), on the replay's clock.
 *
 * Deliberate differences, left out of the comparison (docs/decisions/0043-modelmesh-emulator-scope.md):
 * - no `instances/<instance>`, `leaderLatch/` or `litelinks/` keys: the emulator publishes no instance records,
 *   elects no leader and runs no litelinks (the controller reads none of them);
 * - no inference here (S5 C, S8's ModelInfer calls; S9 is not replayed): test/integration/emulator-inference.test.ts
 *   checks S9's routing and answers against a real MLServer;
 * - S8's calls while model-mesh was down failed in grpc-js, not in model-mesh: not sent;
 * - a load failure's text: the recording's store answered 404 and MLServer failed to load the saved body
 *   (`INTERNAL: Failed to load Model due to MLServer runtime error: …`); the emulator's store is a directory and a
 *   missing path fails in the puller (`UNKNOWN: Failed to pull model from storage due to error: …`). Both are
 *   compared as `<load failure>`, with and without model-mesh's `io.grpc.StatusRuntimeException: ` prefix.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CONFIG_MAPS, DEPLOYMENTS, NAMESPACES } from "../../src/apis/resource-types.js";
import { OBJECTS } from "../../src/builders/constants.js";
import { SERVICE_NAME } from "../support/controller/user-config.js";
import { missingModelMessage } from "../support/emulator/failure-messages.js";
import { ModelMeshEmulator } from "../support/emulator/index.js";
import { MeshCaller } from "../support/emulator/mesh-caller.js";
import { meshEtcdClient } from "../support/etcd/client.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { createExactNamespace } from "../support/kube/namespaces.js";
import { compare, type ObservedWrite } from "../support/mesh-conformance/compare.js";
import { readRecording } from "../support/mesh-conformance/recording.js";
import { replay } from "../support/mesh-conformance/replay.js";
import { runtimeDeployment, setReadyReplicas } from "../support/models/mesh-harness.js";

const SCENARIOS = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S10"];
const SCALE = 1 / 6;
/** The recorded loads took 3.01–3.03 s. */
const LOAD_MS = 500;
/** Timestamps may be off by this much from the recorded instant (scheduling on a busy machine). */
const TOLERANCE_MS = 150;
/** `MM_LABELS` of the recorded instance. */
const RECORDED_LABELS = [
  "mt:lightgbm",
  "mt:lightgbm:3",
  "mt:sklearn",
  "mt:sklearn:0",
  "mt:xgboost",
  "mt:xgboost:1",
  "pv:grpc-v2",
  "pv:v2",
  "rt:mlserver-1.x",
];
/** The part of the controller's tc-config the scenarios' types need (`mt:onnx` is served by other runtimes). */
const TYPE_CONSTRAINTS = {
  "mt:sklearn": { required: ["mt:sklearn"] },
  "mt:onnx": { required: ["mt:onnx"] },
  _default: { required: ["_no_runtime"] },
};
const RECORDED_LOAD_FAILURE =
  "INTERNAL: Failed to load Model due to MLServer runtime error: rpc error: code = Internal desc = builtins.KeyError: 60";
const MISSING_PATH = "sklearn/missing/model.joblib";

describe("the ModelMesh emulator replays the recordings of the real model-mesh", () => {
  const kubeConfig = loadKubeConfig(inject("kubeconfigPath"));
  const client = testClient(kubeConfig);
  const namespace = `mesh-conformance-${Math.random().toString(36).slice(2, 8)}`;
  const modelsDir = mkdtempSync(path.join(tmpdir(), "mesh-conformance-"));
  let etcd: Etcd3;

  beforeAll(async () => {
    await createExactNamespace(client, namespace);
    await client.create(CONFIG_MAPS, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: OBJECTS.typeConstraintsConfigMap, namespace },
      data: { [OBJECTS.typeConstraintsKey]: JSON.stringify(TYPE_CONSTRAINTS) },
    });
    const deployment = await client.create(
      DEPLOYMENTS,
      runtimeDeployment(namespace, "mlserver-1.x", RECORDED_LABELS),
    );
    await setReadyReplicas(client, namespace, deployment.metadata?.name ?? "", 1);
    for (const model of ["sklearn/iris/model.joblib", "sklearn/iris-v2/model.joblib"]) {
      mkdirSync(path.dirname(path.join(modelsDir, model)), { recursive: true });
      writeFileSync(path.join(modelsDir, model), "an iris model");
    }
    etcd = meshEtcdClient(inject("etcdEndpoint"));
  });

  afterAll(async () => {
    await etcd?.delete().prefix(`${namespace}/`);
    etcd?.close();
    await client.delete(NAMESPACES, namespace).catch(() => undefined);
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it.each(SCENARIOS)("%s", async (scenario) => {
    const recording = readRecording(scenario);
    const servicePrefix = `${namespace}/${scenario}/mm/${SERVICE_NAME}`;
    const writes: ObservedWrite[] = [];
    const watcher = await etcd.watch().prefix(`${servicePrefix}/`).create();
    const observe = (type: "put" | "delete") => (kv: { key: Buffer; value: Buffer; mod_revision: string }) =>
      writes.push({
        rev: BigInt(kv.mod_revision),
        type,
        key: kv.key.toString().slice(servicePrefix.length + 1),
        ...(type === "put" ? { value: JSON.parse(kv.value.toString()) as unknown } : {}),
      });
    watcher.on("put", observe("put"));
    watcher.on("delete", observe("delete"));

    let emulator: ModelMeshEmulator | undefined;
    let caller: MeshCaller | undefined;
    const mesh = {
      async start(startupDelayMs: number) {
        emulator = await ModelMeshEmulator.start({
          kubeConfig,
          namespace,
          etcd,
          servicePrefix,
          modelsDir,
          loadTimeMs: LOAD_MS,
          startupDelayMs,
          refreshMs: 200,
        });
        caller = new MeshCaller(`127.0.0.1:${emulator.port}`);
      },
      async stop() {
        caller?.close();
        await emulator?.stop();
      },
      call: (method: Parameters<MeshCaller["call"]>[0], request: Record<string, unknown>) => {
        if (caller === undefined) throw new Error("no emulator");
        return caller.call(method, request);
      },
    };
    try {
      await mesh.start(0);
      const instanceId = emulator?.instances.find((i) => i.ready)?.id ?? "";
      expect(instanceId).toMatch(/^[4-9bcdf]{6}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      const replayed = await replay(recording, SCALE, mesh);
      // Late watch events (a write after the last call) arrive within a few milliseconds.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const result = compare(recording, replayed, writes, {
        normalization: {
          instanceId,
          texts: [
            [RECORDED_LOAD_FAILURE, "<load failure>"],
            [missingModelMessage(path.resolve(modelsDir, MISSING_PATH)), "<load failure>"],
          ],
        },
        loadMs: LOAD_MS,
        toleranceMs: TOLERANCE_MS,
      });
      expect(replayed.calls.length).toBe(recording.calls.length);
      expect(result.answers.recorded.length).toBeGreaterThan(0);
      expect(result.transactions.recorded.length).toBeGreaterThan(0);
      expect(result.timestampsCompared).toBeGreaterThan(0);
      expect(result.answers.replayed).toEqual(result.answers.recorded);
      expect(result.polls).toEqual([]);
      expect(result.transactions.replayed).toEqual(result.transactions.recorded);
      expect(result.timestamps).toEqual([]);
    } finally {
      await watcher.cancel();
      await mesh.stop();
    }
  });
});
