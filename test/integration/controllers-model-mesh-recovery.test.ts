/**
 * A mesh that goes away and comes back (decision 0174): the outage shows in every status within 5 s, the first
 * call after the return is made within 5 s of it whatever the outage's length, and a restarted mesh, which holds
 * none of the copies it had (the real model-mesh rewrites its records without them and answers NOT_LOADED), gets
 * every model loaded again: `Loading`, then `Loaded`, within 10 s. Once behind the Service's EndpointSlices, once
 * under `modelMeshEndpoint`.
 */

import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CONFIG_MAPS, PREDICTORS } from "../../src/apis/resource-types.js";
import type { PredictorSpec, PredictorStatus } from "../../src/apis/serving/v1alpha1/predictor.js";
import { MESSAGES, meshEndpointUnreachable } from "../../src/controllers/model/status.js";
import { eventually } from "../support/async/eventually.js";
import { userConfigMap } from "../support/controller/user-config.js";
import { type ModelHarness, startModelHarness } from "../support/models/mesh-harness.js";
import { sequence, summary } from "../support/models/statuses.js";
import { recordFigures } from "../support/resilience/figures.js";

type Predictor = KubernetesObject & { spec: PredictorSpec; status?: PredictorStatus };

const MODEL_PATH = "sklearn/v1";
const LOADED = "Loaded//UpToDate/available";
const NAMES = ["r0", "r1", "r2"];
/** Longer than grpc-js's reconnect backoff would grow to without the cap (decision 0174). */
const OUTAGE_MS = 8_000;

function suite(mode: "service" | "modelMeshEndpoint") {
  describe(`a restarted mesh (${mode})`, () => {
    let h: ModelHarness;

    const statuses = async () =>
      Promise.all(
        NAMES.map(async (name) => (await h.client.get<Predictor>(PREDICTORS, name, h.namespace))?.status),
      );
    const timeUntil = async (
      test: (all: Array<PredictorStatus | undefined>) => boolean,
      timeoutMs: number,
    ) => {
      const started = Date.now();
      await eventually(async () => test(await statuses()), "the statuses to be as expected", timeoutMs);
      return Date.now() - started;
    };

    beforeAll(async () => {
      h = await startModelHarness({
        kubeconfigPath: inject("kubeconfigPath"),
        etcdEndpoint: inject("etcdEndpoint"),
        modelPaths: [MODEL_PATH],
        loadTimeMs: 300,
        exposeThroughService: mode === "service",
      });
      await h.addRuntime("mlserver-1.x", ["mt:sklearn", "rt:mlserver-1.x"]);
      await h.setReady("mlserver-1.x", 1);
      if (mode === "modelMeshEndpoint") {
        await h.client.create(
          CONFIG_MAPS,
          userConfigMap(h.namespace, `modelMeshEndpoint: "127.0.0.1:${h.emulator.port}"\n`),
        );
      }
      await h.startController();
      for (const name of NAMES) {
        await h.client.create<Predictor>(PREDICTORS, {
          apiVersion: PREDICTORS.apiVersion,
          kind: PREDICTORS.kind,
          metadata: { name, namespace: h.namespace },
          spec: {
            modelType: { name: "sklearn" },
            path: MODEL_PATH,
            storage: { s3: { secretKey: "localMinIO" } },
          },
        });
      }
      await timeUntil((all) => all.every((s) => summary(s) === LOADED), 30_000);
    });

    afterAll(async () => {
      await h?.close();
    });

    it("shows the outage within 5 s, calls again within 5 s of the return, and reloads every model", async () => {
      const expectedReason =
        mode === "service"
          ? MESSAGES.waitingForRuntimePod
          : meshEndpointUnreachable(`127.0.0.1:${h.emulator.port}`);
      let firstCallAfterReturn: number | undefined;
      const restarted = h.restartEmulator({
        downMs: OUTAGE_MS,
        onSetVModel: () => {
          firstCallAfterReturn ??= Date.now();
        },
      });
      const shownAfterMs = await timeUntil(
        (all) =>
          all.every(
            (s) =>
              s?.activeModelState === "Loaded" &&
              s.lastFailureInfo?.reason === "RuntimeUnhealthy" &&
              s.lastFailureInfo.message === expectedReason &&
              !s.available,
          ),
        5_000,
      );
      expect(shownAfterMs).toBeLessThan(5_000);
      await restarted;
      const back = Date.now();
      const rightAfterMs = await timeUntil((all) => all.every((s) => summary(s) === LOADED), 10_000);
      expect(rightAfterMs).toBeLessThan(10_000);
      expect(firstCallAfterReturn).toBeDefined();
      expect((firstCallAfterReturn ?? 0) - back).toBeLessThan(5_000);
      recordFigures("controllers-model-mesh-recovery", {
        mode,
        outageMs: OUTAGE_MS,
        outageShownAfterMs: shownAfterMs,
        firstCallAfterReturnMs: (firstCallAfterReturn ?? 0) - back,
        allLoadedAfterReturnMs: rightAfterMs,
      });
      for (const name of NAMES) {
        await expect.poll(() => sequence(h.predictors.of(name)).at(-1)).toBe(LOADED);
        // The restarted mesh held no copy: the model was loaded again, and its status said so.
        expect(sequence(h.predictors.of(name)).slice(-3)).toEqual([
          "Loaded//UpToDate/unavailable/RuntimeUnhealthy",
          "Loading//UpToDate/available",
          LOADED,
        ]);
      }
    }, 60_000);
  });
}

suite("service");
suite("modelMeshEndpoint");
