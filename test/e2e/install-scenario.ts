/**
 * The assertions both install suites make, once per install method: the install is accepted whole (the
 * controller's Deployment by a server-side dry run), the controller from source serves it as the install's
 * ServiceAccount, every sample and example model reaches Loaded through the emulator, failures and invalid
 * runtimes are reported as Warning Events, and the API server never refused the controller anything.
 */

import type { KubernetesObject, V1ConfigMap } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_MAPS, PREDICTORS } from "../../src/apis/resource-types.js";
import { eventually } from "../support/async/eventually.js";
import { refusals } from "../support/controller/log.js";
import type { InstallMethod, Scope } from "../support/e2e/control-plane.js";
import { events, modelStatuses, runtimeDeployments } from "../support/e2e/observe.js";
import { type Scenario, SECOND_NAMESPACE, startScenario } from "../support/e2e/scenario.js";

const BUILT_IN_RUNTIMES = ["mlserver-1.x", "ovms-1.x", "torchserve-0.x", "triton-2.x"];
const SAMPLE_RUNTIMES = ["custom-runtime-1.x", "custom-runtime-pullerless-1.x"];
/** Long enough for the first build of helm on a fresh machine (cached afterwards). */
const SCENARIO_START_MS = 20 * 60_000;

export function describeInstall(method: InstallMethod, scope: Scope): void {
  describe(`${method} install, ${scope} scope`, () => {
    let scenario: Scenario;

    beforeAll(async () => {
      scenario = await startScenario(method, scope);
    }, SCENARIO_START_MS);
    afterAll(async () => {
      await scenario?.stop();
    });

    it("is accepted whole by the API server, the controller's Deployment by a server-side dry run", () => {
      expect(scenario.install.dryRun).toContain(
        "deployment.apps/modelmesh-controller serverside-applied (server dry run)",
      );
      const kinds = new Set(scenario.install.objects.map((o) => o.kind));
      expect(kinds.has(scope === "cluster" ? "ClusterRole" : "Role")).toBe(true);
      expect(kinds.has("ClusterRole")).toBe(scope === "cluster");
    });

    it("loads every sample and example model through ModelMesh", async () => {
      expect(scenario.models.length).toBeGreaterThanOrEqual(scope === "cluster" ? 11 : 10);
      await eventually(
        async () => {
          const statuses = await modelStatuses(scenario.client, scenario.models);
          const notLoaded = [...statuses].filter(([, status]) => status.activeModelState !== "Loaded");
          if (notLoaded.length > 0) throw new Error(JSON.stringify(notLoaded));
          return statuses;
        },
        "every model Loaded",
        120_000,
      );
    });

    it("runs a Deployment per built-in runtime and scales the unused sample runtimes to zero", async () => {
      const { namespace } = scenario.install;
      const deployments = await runtimeDeployments(scenario.client, namespace);
      const replicas = new Map(deployments.map((d) => [d.metadata?.name, d.spec?.replicas]));
      for (const runtime of BUILT_IN_RUNTIMES)
        expect(replicas.get(`modelmesh-serving-${runtime}`), runtime).toBe(2);
      for (const runtime of SAMPLE_RUNTIMES)
        expect(replicas.get(`modelmesh-serving-${runtime}`), runtime).toBe(0);
      const owner = deployments.find((d) => d.metadata?.name === "modelmesh-serving-mlserver-1.x")?.metadata
        ?.ownerReferences?.[0];
      expect(owner).toMatchObject({
        kind: scenario.runtimeKind,
        name: "mlserver-1.x",
        blockOwnerDeletion: true,
      });
      if (scope === "cluster") {
        const second = await runtimeDeployments(scenario.client, SECOND_NAMESPACE);
        const mlserver = second.find((d) => d.metadata?.name === "modelmesh-serving-mlserver-1.x");
        expect(mlserver?.status?.readyReplicas).toBeGreaterThan(0);
        expect(mlserver?.metadata?.ownerReferences?.[0]?.kind).toBe("ClusterServingRuntime");
      }
    });

    it("records state changes as Normal Events: runtime Deployments created, models loaded", async () => {
      const { namespace } = scenario.install;
      const all = await events(scenario.client);
      const created = all.filter(
        (e) =>
          e.type === "Normal" &&
          e.reason === "DeploymentCreated" &&
          e.involvedObject?.kind === scenario.runtimeKind,
      );
      expect(created.map((e) => e.involvedObject?.name)).toEqual(expect.arrayContaining(BUILT_IN_RUNTIMES));
      // Created at zero when no model needed it yet (then scaled up), or at once with the models' replicas.
      const mlserver = all
        .filter(
          (e) => e.involvedObject?.name === "mlserver-1.x" && e.involvedObject.kind === scenario.runtimeKind,
        )
        .map((e) => e.message)
        .filter((m) => m?.includes(`Deployment modelmesh-serving-mlserver-1.x`));
      expect(mlserver.join("\n")).toMatch(
        /Created Deployment modelmesh-serving-mlserver-1\.x with 2 replicas|Scaled Deployment modelmesh-serving-mlserver-1\.x up to 2 replicas/,
      );
      // A first load that goes well is routine: no Event (decision 0140). One that first met a failure (the
      // runtime's pods still starting: RuntimeUnhealthy) records the failure and then the recovery.
      const recorded = async () =>
        (await events(scenario.client, namespace)).filter(
          (e) =>
            e.involvedObject?.kind === "InferenceService" &&
            e.involvedObject.name === "example-sklearn-mnist",
        );
      const normal = async () =>
        (await recorded()).filter((e) => e.type === "Normal").map((e) => `${e.reason}: ${e.message}`);
      const failures = (await recorded()).filter((e) => e.type === "Warning");
      if (failures.length === 0) expect(await normal()).toEqual([]);
      // Events are written in the background: the recovery's may land a moment after the status says Loaded.
      else
        await expect
          .poll(normal, { timeout: 10_000 })
          .toContain("ModelStateChanged: Active model Loaded, transition UpToDate");
    });

    it("reports a model that fails to load with a Warning Event on it", async () => {
      const { namespace } = scenario.install;
      const name = "e2e-missing-model";
      await scenario.client.create(PREDICTORS, {
        apiVersion: "serving.kserve.io/v1alpha1",
        kind: "Predictor",
        metadata: { name, namespace },
        spec: { modelType: { name: "sklearn" }, path: "not/in/the/store", storage: { key: "localMinIO" } },
      } as KubernetesObject);
      const warning = await eventually(
        async () =>
          (await events(scenario.client, namespace)).find(
            (e) =>
              e.type === "Warning" &&
              e.involvedObject?.kind === "Predictor" &&
              e.involvedObject.name === name,
          ),
        "a Warning Event on the failing Predictor",
        60_000,
      );
      expect(warning.reason).toBe("ModelLoadFailed");
      // The puller's words for a path missing from the store, as the emulator says them (decision 0182).
      expect(warning.message).toMatch(/unable to access model local path '[^']*\/not\/in\/the\/store'/);
      expect(warning.source).toMatchObject({ component: "modelmesh-controller" });
    });

    it("reports a runtime that a configuration change made invalid with a Warning Event on it", async () => {
      const { namespace } = scenario.install;
      const configMap = await scenario.client.get<V1ConfigMap>(
        CONFIG_MAPS,
        "model-serving-config",
        namespace,
      );
      const withoutTorchServe = `${configMap?.data?.["config.yaml"] ?? ""}\nbuiltInServerTypes: [triton, mlserver, ovms]\n`;
      await scenario.client.mergePatch(
        CONFIG_MAPS,
        { namespace, name: "model-serving-config" },
        { data: { "config.yaml": withoutTorchServe } },
      );
      const warning = await eventually(
        async () =>
          (await events(scenario.client, undefined)).find(
            (e) =>
              e.type === "Warning" &&
              e.reason === "InvalidRuntimeSpec" &&
              e.involvedObject?.kind === scenario.runtimeKind &&
              e.involvedObject.name === "torchserve-0.x",
          ),
        "a Warning Event on the runtime",
        60_000,
      );
      expect(warning.message).toContain(
        "Invalid runtime Spec: unrecognized built-in runtime server type torchserve",
      );
    });

    it("was never refused anything by the API server: the install grants every call it makes", () => {
      const log = scenario.controller.output();
      expect(scenario.controller.isRunning()).toBe(true);
      expect(log).toContain("Applying model mesh deployment");
      expect(refusals(log)).toEqual([]);
    });
  });
}
