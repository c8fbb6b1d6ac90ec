/**
 * Placement as upstream does it, through the whole controller (namespace, runtime and model reconcilers, as
 * `modelmesh-serving run` builds them) against the ModelMesh emulator: a model-type change moves the model to the
 * runtime of the new type, and a runtime that is not multi-model gets no Deployment and places nothing. The
 * assertions stop at placement (the registry record's type and instance, the failure reason), short of load
 * completion.
 */

import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CONFIG_MAPS, DEPLOYMENTS, PREDICTORS, SERVING_RUNTIMES } from "../../src/apis/resource-types.js";
import type { PredictorSpec, PredictorStatus } from "../../src/apis/serving/v1alpha1/predictor.js";
import { MESSAGES } from "../../src/controllers/model/status.js";
import { concreteModelId } from "../../src/modelmesh-client/model-id.js";
import { eventually } from "../support/async/eventually.js";
import type { InProcessController } from "../support/controller/in-process.js";
import { startInProcessController } from "../support/controller/in-process.js";
import { SERVICE_NAME, userConfigMap } from "../support/controller/user-config.js";
import { type ModelHarness, startModelHarness } from "../support/models/mesh-harness.js";
import { predictorWithSpec } from "../support/models/predictors.js";
import { customRuntime } from "../support/runtimes/custom-runtime.js";

type Predictor = KubernetesObject & { spec: PredictorSpec; status?: PredictorStatus };

const MODEL_PATH = "models/m";
const spec = (format: string): PredictorSpec => ({
  modelType: { name: format },
  path: MODEL_PATH,
  storage: { key: "localMinIO" },
});
/** A multi-model runtime (or not) whose only auto-selected format is `format`. */
const runtime = (name: string, namespace: string, format: string, multiModel = true) =>
  customRuntime("ServingRuntime", name, namespace, {
    spec: { multiModel, supportedModelFormats: [{ name: format, autoSelect: true }] },
  });

describe("placement through the whole controller", () => {
  let h: ModelHarness;
  let controller: InProcessController;
  /** The emulator's instance id of each runtime's Deployment. */
  const instanceOf = new Map<string, string>();

  const create = (name: string, predictorSpec: PredictorSpec) =>
    h.client.create(PREDICTORS, predictorWithSpec(name, h.namespace, predictorSpec));
  const get = (name: string) => h.client.get<Predictor>(PREDICTORS, name, h.namespace);
  const deployment = (runtimeName: string) =>
    h.client.get<V1Deployment>(DEPLOYMENTS, `${SERVICE_NAME}-${runtimeName}`, h.namespace);
  /** The registry record of a concrete model once model-mesh has placed it: its type and where it went. */
  const placement = (modelId: string) =>
    eventually(
      async () => {
        const record = await h.registry(modelId);
        const instances = Object.keys((record?.instanceIds as Record<string, unknown> | undefined) ?? {});
        return record !== undefined && instances.length > 0 ? { type: record.type, instances } : undefined;
      },
      `the placement of ${modelId}`,
      20_000,
    );

  beforeAll(async () => {
    h = await startModelHarness({
      kubeconfigPath: inject("kubeconfigPath"),
      etcdEndpoint: inject("etcdEndpoint"),
      modelPaths: [MODEL_PATH],
    });
    // Runtimes stay up while empty, so that placement does not wait for a scale-up.
    await h.client.create(CONFIG_MAPS, userConfigMap(h.namespace, "scaleToZero:\n  enabled: false\n"));
    for (const object of [
      runtime("sk-rt", h.namespace, "sklearn"),
      runtime("xgb-rt", h.namespace, "xgboost"),
      runtime("onnx-single", h.namespace, "onnx", false),
    ]) {
      await h.client.create(SERVING_RUNTIMES, object);
    }
    controller = await startInProcessController({
      kubeConfig: h.kubeConfig,
      scope: "namespace",
      controllerNamespace: h.namespace,
      features: { inferenceServices: false, clusterServingRuntimes: false, serviceMonitors: false },
    });
    for (const name of ["sk-rt", "xgb-rt"]) {
      await eventually(() => deployment(name), `the Deployment of ${name}`, 20_000);
      // No kubelet runs here: the runtime's pods are reported ready by hand.
      await h.setReady(name, 1);
      await h.emulator.waitForInstances((instances) => {
        const instance = instances.find((i) => i.deployment === `${SERVICE_NAME}-${name}`);
        if (instance !== undefined) instanceOf.set(name, instance.id);
        return instance?.ready === true;
      });
    }
  });

  afterAll(async () => {
    await controller?.stop();
    await h?.close();
  });

  it("a model-type change moves the model to the runtime of the new type", async () => {
    await create("moving", spec("sklearn"));
    expect(await placement(concreteModelId("moving", "ksp", spec("sklearn")))).toStrictEqual({
      type: "mt:sklearn",
      instances: [instanceOf.get("sk-rt")],
    });

    await h.client.mergePatch(
      PREDICTORS,
      { namespace: h.namespace, name: "moving" },
      { spec: { modelType: { name: "xgboost" } } },
    );
    const movedId = concreteModelId("moving", "ksp", spec("xgboost"));
    await expect.poll(async () => (await h.vmodel("moving"))?.tmid, { timeout: 20_000 }).toBe(movedId);
    expect(await placement(movedId)).toStrictEqual({
      type: "mt:xgboost",
      instances: [instanceOf.get("xgb-rt")],
    });
  });

  it("a predictor whose only matching runtime is not multi-model has no supporting runtime", async () => {
    await create("single", spec("onnx"));
    await expect
      .poll(async () => (await get("single"))?.status?.lastFailureInfo?.reason, { timeout: 20_000 })
      .toBe("NoSupportingRuntime");
    expect((await get("single"))?.status).toMatchObject({
      available: false,
      lastFailureInfo: { message: MESSAGES.noSupportingRuntime },
    });
    // The runtime controller gave the single-model runtime no Deployment, so no instance could take the model.
    expect(await deployment("onnx-single")).toBeUndefined();
    const record = await h.registry(concreteModelId("single", "ksp", spec("onnx")));
    expect(record?.type).toBe("mt:onnx");
    expect(Object.keys((record?.instanceIds as Record<string, unknown> | undefined) ?? {})).toStrictEqual([]);
  });
});
