/**
 * The config key `modelMeshEndpoint` (decision 0130): the emulator's namespace has no EndpointSlice naming it, so
 * the model controller reaches it only through the override, set, changed and removed while it runs.
 */

import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CONFIG_MAPS, CORE_EVENTS, PREDICTORS } from "../../src/apis/resource-types.js";
import type { PredictorSpec, PredictorStatus } from "../../src/apis/serving/v1alpha1/predictor.js";
import { concreteModelId } from "../../src/modelmesh-client/model-id.js";
import { userConfigMap } from "../support/controller/user-config.js";
import { type ModelHarness, startModelHarness } from "../support/models/mesh-harness.js";
import { summary } from "../support/models/statuses.js";

type Predictor = KubernetesObject & { spec: PredictorSpec; status?: PredictorStatus };

const LOADED = "Loaded//UpToDate/available";
const WAITING_FOR_POD = "Pending//UpToDate/unavailable/RuntimeUnhealthy";
const USER_CONFIG = "model-serving-config";
const MODEL_PATH = "sklearn/mnist-svm.joblib";

describe("model controller: config modelMeshEndpoint", () => {
  let h: ModelHarness;

  const spec: PredictorSpec = {
    modelType: { name: "sklearn" },
    path: MODEL_PATH,
    storage: { s3: { secretKey: "localMinIO" } },
  };
  const create = (name: string) =>
    h.client.create<Predictor>(PREDICTORS, {
      apiVersion: PREDICTORS.apiVersion,
      kind: PREDICTORS.kind,
      metadata: { name, namespace: h.namespace },
      spec,
    });
  const until = (name: string, expected: string) =>
    expect
      .poll(async () => summary((await h.client.get<Predictor>(PREDICTORS, name, h.namespace))?.status), {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(expected);
  const setEndpoint = async (endpoint: string) => {
    const configMap = userConfigMap(h.namespace, `modelMeshEndpoint: "${endpoint}"\n`);
    await h.client.delete(CONFIG_MAPS, USER_CONFIG, h.namespace).catch(() => undefined);
    await h.client.create(CONFIG_MAPS, configMap);
  };

  beforeAll(async () => {
    h = await startModelHarness({
      kubeconfigPath: inject("kubeconfigPath"),
      etcdEndpoint: inject("etcdEndpoint"),
      modelPaths: [MODEL_PATH],
      exposeThroughService: false,
    });
    await h.addRuntime("mlserver-1.x", ["mt:sklearn", "rt:mlserver-1.x"]);
    await h.setReady("mlserver-1.x", 1);
    await h.startController();
  });

  afterAll(async () => {
    await h?.close();
  });

  it("without it a model waits for a ready endpoint of the Service; set while running, the model loads through it", async () => {
    await create("first");
    await until("first", WAITING_FOR_POD);
    await setEndpoint(`127.0.0.1:${h.emulator.port}`);
    await until("first", LOADED);
    expect(await h.vmodel("first")).toMatchObject({ amid: concreteModelId("first", "ksp", spec) });
  });

  it("follows a changed value, written with a scheme", async () => {
    await setEndpoint(`dns:///localhost:${h.emulator.port}`);
    await create("second");
    await until("second", LOADED);
  });

  it("refuses a value it cannot dial with an Event that says so, and goes back to the Service once removed", async () => {
    await setEndpoint("kube:///modelmesh-serving:8033");
    await create("third");
    await expect
      .poll(
        async () => {
          const events = await h.client.list<KubernetesObject & { reason?: string; message?: string }>(
            CORE_EVENTS,
            { namespace: h.namespace, fieldSelector: "involvedObject.name=third" },
          );
          return events.items.find((e) => e.reason === "ModelMeshConnectionFailed")?.message;
        },
        { timeout: 20_000, interval: 100 },
      )
      .toContain("config modelMeshEndpoint 'kube:///modelmesh-serving:8033' is not a gRPC target");
    await h.client.delete(CONFIG_MAPS, USER_CONFIG, h.namespace);
    await until("third", WAITING_FOR_POD);
  });
});
