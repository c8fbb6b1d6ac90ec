/**
 * What ModelMesh may send back that the controller must survive: every gRPC status code (from a fake ModelMesh
 * over real gRPC behind the namespace's EndpointSlice), and malformed records under the registry's `vmodels/`
 * and `registry/` prefixes in its etcd (next to the emulator's own).
 */

import { status } from "@grpc/grpc-js";
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORE_EVENTS, INFERENCE_SERVICES } from "../../src/apis/resource-types.js";
import { MESSAGES } from "../../src/controllers/model/status.js";
import { REGISTRY_TABLE, VMODELS_TABLE } from "../../src/modelmesh-client/registry/registry-watcher.js";
import { eventually } from "../support/async/eventually.js";
import { crashLines } from "../support/controller/log.js";
import { FakeModelMesh } from "../support/resilience/fake-model-mesh.js";
import { recordFigures } from "../support/resilience/figures.js";
import { createInferenceServices, type ExpectedState, loadPlan } from "../support/resilience/load.js";
import { MeshCluster } from "../support/resilience/mesh-cluster.js";

type Isvc = KubernetesObject & {
  status?: {
    modelStatus?: {
      states?: { activeModelState?: string };
      lastFailureInfo?: { reason?: string; message?: string };
    };
  };
};
type CoreEvent = KubernetesObject & { reason?: string; message?: string; involvedObject?: { name?: string } };

const ERROR_CODES = Object.values(status).filter(
  (code): code is number => typeof code === "number" && code !== status.OK,
);

describe("every gRPC status code from ModelMesh", () => {
  let cluster: MeshCluster;
  let mesh: FakeModelMesh;

  beforeAll(async () => {
    cluster = await MeshCluster.start({ withoutEmulator: true });
    mesh = await FakeModelMesh.start();
    await cluster.exposeMesh(mesh.socketPath);
    await cluster.startController();
  });

  afterAll(async () => {
    await cluster?.stop();
    await mesh?.stop();
  });

  it("each code is reported on the resource, and all recover once ModelMesh answers", async () => {
    const started = Date.now();
    for (const code of ERROR_CODES) {
      // Each resource gets its own code (retries of earlier ones keep theirs), until ModelMesh answers OK.
      mesh.codeFor = (vModelId) => Number(/^code-(\d+)$/.exec(vModelId)?.[1] ?? status.OK);
      const name = `code-${code}`;
      await createInferenceServices(cluster.client, cluster.namespace, [{ name, expected: "Loaded" }]);
      await eventually(
        async () => {
          if (cluster.controllers.some((c) => c.crashed())) throw new Error("the controller crashed");
          const isvc = await cluster.client.get<Isvc>(INFERENCE_SERVICES, name, cluster.namespace);
          // A name taken by another owner is a spec problem shown in the status; a mesh that answers UNAVAILABLE
          // is one not answering (decision 0174); the rest are Warning Events.
          const failure = isvc?.status?.modelStatus?.lastFailureInfo;
          if (code === status.ALREADY_EXISTS)
            return failure?.reason === "InvalidPredictorSpec" ? true : undefined;
          if (code === status.UNAVAILABLE)
            return failure?.reason === "RuntimeUnhealthy" && failure.message === MESSAGES.meshNotAnswering
              ? true
              : undefined;
          const events = await cluster.client.list<CoreEvent>(CORE_EVENTS, { namespace: cluster.namespace });
          return events.items.some(
            (e) =>
              e.involvedObject?.name === name &&
              e.reason === "ModelMeshCallFailed" &&
              (e.message ?? "").includes(`(${status[code]})`),
          )
            ? true
            : undefined;
        },
        `the ${status[code]} answer to be reported on ${name}`,
        30_000,
      );
    }
    const failedMs = Date.now() - started;
    mesh.codeFor = () => status.OK;
    const recovering = Date.now();
    const expected = new Map<string, ExpectedState>(ERROR_CODES.map((code) => [`code-${code}`, "Loaded"]));
    // ALREADY_EXISTS is a terminal spec problem until the resource changes: it stays as it was reported.
    expected.delete(`code-${status.ALREADY_EXISTS}`);
    await eventually(
      async () => {
        const list = await cluster.client.list<Isvc>(INFERENCE_SERVICES, { namespace: cluster.namespace });
        const notLoaded = list.items.filter(
          (i) =>
            expected.has(i.metadata?.name ?? "") &&
            !(
              i.status?.modelStatus?.states?.activeModelState === "Loaded" &&
              !i.status.modelStatus.lastFailureInfo
            ),
        );
        if (notLoaded.length === 0) return true;
        throw new Error(JSON.stringify(notLoaded.map((i) => [i.metadata?.name, i.status?.modelStatus])));
      },
      "every model Loaded once ModelMesh answers",
      180_000,
    );
    // Every retry of one failure read the same: one Event series per resource, counted, not one Event per attempt.
    const events = await cluster.client.list<CoreEvent>(CORE_EVENTS, { namespace: cluster.namespace });
    const series = new Map<string, number>();
    for (const e of events.items.filter((e) => e.reason === "ModelMeshCallFailed")) {
      const name = e.involvedObject?.name ?? "";
      series.set(name, (series.get(name) ?? 0) + 1);
    }
    expect([...series].filter(([, count]) => count > 1)).toEqual([]);
    recordFigures("resilience-mesh-errors", {
      codes: ERROR_CODES.length,
      calls: Object.fromEntries(mesh.calls),
      reportingMs: failedMs,
      recoveredMs: Date.now() - recovering,
    });
    for (const controller of cluster.controllers) {
      expect(controller.crashed()).toBe(false);
      expect(crashLines(controller.logLines())).toEqual([]);
    }
  }, 400_000);
});

describe("malformed records in ModelMesh's etcd", () => {
  let cluster: MeshCluster;

  beforeAll(async () => {
    cluster = await MeshCluster.start();
    await cluster.startController();
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const garbage: Array<[string, string | Buffer]> = [
    ["not-json", "{{{"],
    ["empty", ""],
    ["binary", Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80])],
    ["array", "[1,2,3]"],
    ["number", "12345678901234567890123"],
    ["null", "null"],
    ["wrong-types", JSON.stringify({ o: { x: 1 }, amid: 5, tmid: [], failed: "yes" })],
    ["unknown-owner", JSON.stringify({ o: "somebody-else", amid: "m", tmid: "m" })],
    ["huge", JSON.stringify({ o: "isvc", amid: "a".repeat(200_000) })],
    ["deep", `${"[".repeat(5000)}${"]".repeat(5000)}`],
    ["nested/key/with/slashes", JSON.stringify({ o: "isvc" })],
    ["ünïcødé-☃", JSON.stringify({ o: "ksp", amid: "x" })],
    ["orphan-of-isvc", JSON.stringify({ o: "isvc", amid: "orphan-id", tmid: "orphan-id" })],
  ];

  it("are skipped or cleaned up, and models keep loading", async () => {
    const before = loadPlan("before", 20);
    const expected = new Map(before.map((item) => [item.name, item.expected]));
    await createInferenceServices(cluster.client, cluster.namespace, before);
    await cluster.waitConverged(expected, 120_000);

    for (const table of [VMODELS_TABLE, REGISTRY_TABLE]) {
      for (const [key, value] of garbage) {
        await cluster.etcd.client.put(`${cluster.servicePrefix}/${table}${key}`).value(value);
      }
      // A record with a live resource's name, broken.
      await cluster.etcd.client.put(`${cluster.servicePrefix}/${table}${before[0]?.name}`).value("{broken");
    }
    // A restarted controller reads every record again at start.
    await cluster.controllers[0]?.kill();
    await cluster.startController();

    const after = loadPlan("after", 20);
    for (const item of after) expected.set(item.name, item.expected);
    await createInferenceServices(cluster.client, cluster.namespace, after);
    await eventually(
      async () => {
        if (cluster.controllers.some((c) => c.crashed())) throw new Error("the controller crashed");
        const census = await cluster.census(expected);
        const notLoaded = census.unsettled.filter((u) => u.name.startsWith("after-"));
        return notLoaded.length === 0 ? census : undefined;
      },
      "the models created after the garbage",
      120_000,
    );
    // The vmodel an InferenceService owns but which has no resource is removed (the sweep at reconnect).
    await eventually(
      async () =>
        (await cluster.etcd.client
          .get(`${cluster.servicePrefix}/${VMODELS_TABLE}orphan-of-isvc`)
          .string()) === null
          ? true
          : undefined,
      "the orphaned vmodel to be removed",
      60_000,
    );
    const lines = cluster.controllers.flatMap((c) => c.logLines());
    recordFigures("resilience-mesh-errors", {
      garbageRecords: garbage.length * 2 + 2,
      malformedLogLines: lines.filter((l) => /malformed|could not parse|unparsable/i.test(l)).length,
    });
    for (const controller of cluster.controllers) {
      expect(controller.crashed()).toBe(false);
      expect(crashLines(controller.logLines())).toEqual([]);
    }
  }, 400_000);
});
