/**
 * A real Prometheus (Debian's package, scripts/install-prometheus.sh) scrapes the `/metrics` of the controller
 * that the namespace-scope kustomize install runs, while models are created; the reconcile and work-queue
 * counters are then read back through Prometheus' HTTP API, with their labels.
 */

import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PREDICTORS } from "../../src/apis/resource-types.js";
import { eventually } from "../support/async/eventually.js";
import type { InstalledObject } from "../support/e2e/control-plane.js";
import { modelStatuses } from "../support/e2e/observe.js";
import { type Scenario, startScenario } from "../support/e2e/scenario.js";
import { type Prometheus, startPrometheus } from "../support/prometheus/prometheus.js";

const JOB = "modelmesh-controller";

describe("Prometheus scrapes the controller", () => {
  let scenario: Scenario;
  let prometheus: Prometheus;

  beforeAll(async () => {
    scenario = await startScenario("kustomize", "namespace");
    prometheus = await startPrometheus({
      targets: [{ job: JOB, address: `127.0.0.1:${scenario.controller.ports?.metrics}` }],
      scrapeIntervalSeconds: 1,
    });
  }, 600_000);
  afterAll(async () => {
    await prometheus?.stop();
    await scenario?.stop();
  });

  /** The value of one series, once Prometheus has it and `accept` holds. */
  const sampled = (expression: string, accept: (value: number) => boolean) =>
    eventually(
      async () => {
        const [sample, ...others] = await prometheus.query(expression);
        expect(others).toEqual([]);
        return sample !== undefined && accept(sample.value) ? sample : undefined;
      },
      `${expression} in Prometheus`,
      60_000,
    );

  it("scrapes the controller's /metrics as a healthy target", async () => {
    const targets = await eventually(async () => {
      const active = await prometheus.targets();
      return active.every((t) => t.health === "up") && active.length > 0 ? active : undefined;
    }, "a healthy target");
    expect(targets).toEqual([{ job: JOB, health: "up", lastError: "" }]);
  });

  it("counts reconciles and work-queue adds per controller, and they grow as models are created", async () => {
    const { namespace } = scenario.install;
    await eventually(
      async () => {
        const statuses = await modelStatuses(scenario.client, scenario.models);
        return [...statuses.values()].every((s) => s.activeModelState === "Loaded") ? statuses : undefined;
      },
      "the models Loaded",
      120_000,
    );
    for (const controller of ["ServingRuntimeReconciler", "ServiceReconciler", "Predictor"]) {
      const reconciles = await sampled(
        `controller_runtime_reconcile_total{job="${JOB}",controller="${controller}",result="success"}`,
        (value) => value > 0,
      );
      expect(reconciles.labels).toMatchObject({
        instance: `127.0.0.1:${scenario.controller.ports?.metrics}`,
      });
      await sampled(`workqueue_adds_total{job="${JOB}",name="${controller}"}`, (value) => value > 0);
    }

    const before = await sampled(
      `controller_runtime_reconcile_total{job="${JOB}",controller="Predictor",result="success"}`,
      () => true,
    );
    const addsBefore = await sampled(`workqueue_adds_total{job="${JOB}",name="Predictor"}`, () => true);
    const created: InstalledObject[] = [];
    for (const index of [1, 2, 3]) {
      const predictor = {
        apiVersion: "serving.kserve.io/v1alpha1",
        kind: "Predictor",
        metadata: { name: `scraped-${index}`, namespace },
        spec: { modelType: { name: "sklearn" }, path: `scraped/${index}`, storage: { key: "localMinIO" } },
      };
      created.push(predictor as InstalledObject);
      scenario.store.add([predictor as InstalledObject]);
      await scenario.client.create(PREDICTORS, predictor as KubernetesObject);
    }
    await eventually(
      async () => {
        const statuses = await modelStatuses(scenario.client, created);
        return [...statuses.values()].every((s) => s.activeModelState === "Loaded") ? statuses : undefined;
      },
      "the new models Loaded",
      60_000,
    );
    // At least one successful reconcile and one queue add per new model.
    await sampled(
      `controller_runtime_reconcile_total{job="${JOB}",controller="Predictor",result="success"}`,
      (value) => value >= before.value + created.length,
    );
    await sampled(
      `workqueue_adds_total{job="${JOB}",name="Predictor"}`,
      (value) => value >= addsBefore.value + created.length,
    );
    const rate = await prometheus.query(
      `sum by (controller) (increase(controller_runtime_reconcile_total{job="${JOB}"}[1m]))`,
    );
    expect(rate.find((s) => s.labels.controller === "Predictor")?.value).toBeGreaterThan(0);
  });
});
