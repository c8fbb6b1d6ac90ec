/**
 * Real inference through the ModelMesh emulator: the controller registers InferenceServices, the emulator runs a
 * real MLServer behind its one MLServer instance (loading through the repository API as the mlserver adapter
 * does), and requests are routed as model-mesh routes them (test/fixtures/model-mesh-observed/S9.jsonl), over
 * gRPC and over the REST port as rest-proxy serves it. Uses the cached Python environment
 * (scripts/python-env.sh) and the example models, as mlserver-runtime.test.ts does.
 */

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_MAPS, DEPLOYMENTS, INFERENCE_SERVICES } from "../../src/apis/resource-types.js";
import type { ServingRuntimeSpec } from "../../src/apis/serving/v1alpha1/serving-runtime.js";
import type { InferenceServiceStatus } from "../../src/apis/serving/v1beta1/inference-service.js";
import { modelMeshLabels, runtimeLabelSet } from "../../src/builders/model-type-labels.js";
import { buildTypeConstraintsConfigMap } from "../../src/builders/type-constraints.js";
import {
  ModelStatusInfo_ModelStatus as ModelStatus,
  type VModelStatusInfo,
} from "../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { ModelMeshClient } from "../../src/modelmesh-client/grpc/client.js";
import { SERVICE_NAME } from "../support/controller/user-config.js";
import {
  ModelInferRequestSchema,
  type ModelInferResponse,
  ModelInferResponseSchema,
  ModelMetadataRequestSchema,
  ModelMetadataResponseSchema,
  ModelReadyRequestSchema,
} from "../support/mlserver/gen/inference/grpc_predict_v2_pb.js";
import {
  type ExampleModel,
  exampleModel,
  inferenceClient,
  type MlserverProcess,
  type ModelRepositoryClient,
  metadataResponseReply,
  modelRepositoryClient,
  processGroupMembers,
  pythonEnvBinDir,
  trainExampleModels,
} from "../support/mlserver/index.js";
import { type ModelHarness, startModelHarness } from "../support/models/mesh-harness.js";
import { isvcSequence } from "../support/models/statuses.js";

type Isvc = KubernetesObject & { spec: unknown; status?: InferenceServiceStatus };

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const MODEL_MESH = { "serving.kserve.io/deploymentMode": "ModelMesh" };
const LOADED = "Loaded//UpToDate/available";
const DIGITS = "sklearn/mnist-svm.joblib";
/** A classifier of the same 64 inputs that answers 7 for everything: the "new model" of a storageUri update. */
const SEVENS = "sklearn/sevens.joblib";
const MLSERVER_BROKEN =
  "INTERNAL: Failed to load Model due to MLServer runtime error: rpc error: code = Internal desc = pop from empty list";
const WAITED = "io.grpc.StatusRuntimeException: ";
/** Owner of the vmodels this suite registers itself; the controller ignores owners it does not know. */
const OWNER = "s9";
const SKLEARN_KEY = '{"model_type":{"name":"sklearn"}}';

const passThrough = (bytes: Buffer) => bytes;

interface RawAnswer {
  readonly response?: Buffer;
  readonly error?: ServiceError;
  readonly headers?: Metadata;
  readonly ms: number;
}

function runtimeSpec(name: string): ServingRuntimeSpec {
  const file = readFileSync(path.join(REPO_ROOT, "config/runtimes", `${name}.yaml`), "utf8");
  return (parse(file) as { spec: ServingRuntimeSpec }).spec;
}

/** `MM_LABELS` of a built-in runtime, as the controller renders them with the REST proxy on. */
function runtimeLabels(name: string): string[] {
  return modelMeshLabels(runtimeLabelSet(name, runtimeSpec(name), true)).split(",");
}

async function writeSevensModel(pythonBinDir: string, file: string): Promise<void> {
  const script = [
    "import sys, joblib, numpy as np",
    "from sklearn.dummy import DummyClassifier",
    "model = DummyClassifier(strategy='constant', constant=7).fit(np.zeros((10, 64)), np.arange(10))",
    "joblib.dump(model, sys.argv[1])",
  ].join("\n");
  await promisify(execFile)(path.join(pythonBinDir, "python"), ["-c", script, file], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", OMP_NUM_THREADS: "1" },
  });
}

describe("real inference through the mesh, from a real MLServer", () => {
  let h: ModelHarness;
  let digits: ExampleModel;
  let broken: string;
  let mlserver: MlserverProcess;
  let repository: ModelRepositoryClient;
  let channel: Client;
  let mesh: ModelMeshClient;
  const timings: Record<string, number> = {};

  const createIsvc = (name: string, storageUri: string) =>
    h.client.create<Isvc>(INFERENCE_SERVICES, {
      apiVersion: INFERENCE_SERVICES.apiVersion,
      kind: INFERENCE_SERVICES.kind,
      metadata: { name, namespace: h.namespace, annotations: MODEL_MESH },
      spec: { predictor: { model: { modelFormat: { name: "sklearn" }, storageUri } } },
    });
  const get = (name: string) => h.client.get<Isvc>(INFERENCE_SERVICES, name, h.namespace);
  const until = async (name: string, expected: string) =>
    expect
      .poll(async () => isvcSequence([(await get(name))?.status])[0], { timeout: 30_000, interval: 50 })
      .toBe(expected);
  const activeModel = async (vmodel: string) => String((await h.vmodel(vmodel))?.amid ?? "");
  /** The model ids MLServer's repository index lists. */
  const indexed = async () =>
    (await repository.repositoryIndex({ ready: false })).models.map((m) => m.name).sort();

  function rawCall(method: string, request: Uint8Array, headers: Record<string, string | Buffer> = {}) {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(headers)) metadata.add(key, value);
    const started = performance.now();
    return new Promise<RawAnswer>((resolve) => {
      let initial: Metadata | undefined;
      const call = channel.makeUnaryRequest(
        `/inference.GRPCInferenceService/${method}`,
        passThrough,
        passThrough,
        Buffer.from(request),
        metadata,
        { deadline: Date.now() + 60_000 },
        (error, response) => {
          const ms = performance.now() - started;
          resolve(
            error
              ? { error, ms }
              : { ...(response && { response }), ...(initial && { headers: initial }), ms },
          );
        },
      );
      call.on("metadata", (m: Metadata) => {
        initial = m;
      });
    });
  }

  /** A ModelInfer of the known digits; `modelName: undefined` leaves field 1 out, `""` writes it empty. */
  const inferBytes = (modelName: string | undefined) => {
    const bytes = toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: modelName ?? "",
        inputs: [
          {
            name: "input-0",
            datatype: "FP32",
            shape: [BigInt(digits.inputs.length), BigInt(digits.features)],
            contents: { fp32Contents: digits.inputs.flat() },
          },
        ],
      }),
    );
    return modelName === "" ? new Uint8Array([0x0a, 0x00, ...bytes]) : bytes;
  };
  const infer = (modelName: string | undefined, headers: Record<string, string | Buffer> = {}) =>
    rawCall("ModelInfer", inferBytes(modelName), headers);
  const answered = (answer: RawAnswer): ModelInferResponse => {
    if (answer.response === undefined)
      throw new Error(`no answer: ${answer.error?.code} ${answer.error?.details}`);
    return fromBinary(ModelInferResponseSchema, answer.response);
  };
  const classes = (response: ModelInferResponse) => response.outputs[0]?.contents?.int64Contents.map(Number);
  const failure = (answer: RawAnswer) => ({ code: answer.error?.code, details: answer.error?.details });

  /** A vmodel of this suite's own owner, registered straight with the mesh. */
  const registerVModel = (vModelId: string, targetModelId: string, type: string, modelPath: string) =>
    mesh.setVModel({
      vModelId,
      owner: OWNER,
      targetModelId,
      autoDeleteTargetModel: true,
      loadNow: false,
      modelInfo: { type, path: modelPath, key: SKLEARN_KEY },
    });
  const vmodelStatus = (vModelId: string): Promise<VModelStatusInfo> =>
    mesh.getVModelStatus({ vModelId, owner: OWNER });

  beforeAll(async () => {
    const pythonBinDir = await pythonEnvBinDir();
    h = await startModelHarness({
      kubeconfigPath: inject("kubeconfigPath"),
      etcdEndpoint: inject("etcdEndpoint"),
      modelPaths: ["pytorch/model.mar"],
      runtimeServers: { mlserver: { pythonBinDir } },
      restPort: 0,
    });
    const examples = await trainExampleModels(pythonBinDir, h.modelsDir);
    digits = exampleModel(examples, DIGITS);
    broken = examples.broken;
    await writeSevensModel(pythonBinDir, path.join(h.modelsDir, SEVENS));

    // The tc-config the controller writes for these runtimes: type constraints and the data-plane config. Triton
    // has no pods here, so its types (onnx) have no running instance.
    const runtimes = ["mlserver-1.x", "triton-2.x", "torchserve-0.x"];
    await h.client.create(
      CONFIG_MAPS,
      buildTypeConstraintsConfigMap(h.namespace, new Map(runtimes.map((r) => [r, runtimeSpec(r)])), true),
    );
    await h.addRuntime("mlserver-1.x", runtimeLabels("mlserver-1.x"), "mlserver");
    await h.addRuntime("torchserve-0.x", runtimeLabels("torchserve-0.x"));
    await h.setReady("mlserver-1.x", 1);
    await h.setReady("torchserve-0.x", 1);
    await h.startController();

    const processes = await h.emulator.runtimeProcesses();
    expect(processes.size).toBe(1);
    const [server] = processes.values();
    if (server === undefined) throw new Error("no MLServer");
    mlserver = server;
    timings.mlserverStartMs = mlserver.startMs;
    repository = modelRepositoryClient(mlserver.grpcAddress);
    channel = new Client(`127.0.0.1:${h.emulator.port}`, credentials.createInsecure());
    mesh = new ModelMeshClient({
      target: `127.0.0.1:${h.emulator.port}`,
      serviceName: SERVICE_NAME,
      namespace: h.namespace,
      port: h.emulator.port,
    });
  }, 600_000);

  afterAll(async () => {
    // The figures the issue asks for, measured here (2-core machine, shared).
    process.stdout.write(`emulator-inference timings: ${JSON.stringify(timings)}\n`);
    mesh?.close();
    channel?.close();
    repository?.close();
    await h?.close();
  });

  it("runs one MLServer, of its own, for the MLServer instance only; the emulated runtime has none", async () => {
    const instances = h.emulator.instances.filter((i) => i.ready);
    expect(instances.map((i) => [i.deployment, i.modelServer]).sort()).toEqual([
      [`${SERVICE_NAME}-mlserver-1.x`, "mlserver"],
      [`${SERVICE_NAME}-torchserve-0.x`, undefined],
    ]);
    const mlserverInstance = instances.find((i) => i.modelServer === "mlserver");
    expect([...(await h.emulator.runtimeProcesses()).keys()]).toEqual([mlserverInstance?.id]);
    expect(await indexed()).toEqual([]);
  });

  it("an InferenceService's sklearn model predicts the known digits over gRPC, answered by its concrete model", async () => {
    await createIsvc("digits", `s3://modelmesh-example-models/${DIGITS}`);
    await until("digits", LOADED);
    const modelId = await activeModel("digits");
    expect(modelId).toMatch(/^digits__isvc-[0-9a-f]{10}$/);
    expect(await indexed()).toEqual([modelId]);

    const first = await infer("digits");
    timings.firstInferenceMs = Math.round(first.ms * 10) / 10;
    const response = answered(first);
    // The answer comes back unchanged: MLServer's, for the concrete id model-mesh put in model_name.
    expect(response.modelName).toBe(modelId);
    expect(response.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ["predict", "INT64", [BigInt(digits.inputs.length), 1n]],
    ]);
    expect(response.outputs[0]?.parameters.content_type?.parameterChoice).toEqual({
      case: "stringParam",
      value: "np",
    });
    expect(classes(response)).toEqual(digits.expectedClasses);
    const again = await infer("digits");
    timings.nextInferenceMs = Math.round(again.ms * 10) / 10;
    expect(classes(answered(again))).toEqual(digits.expectedClasses);
    // Only model-mesh's content type comes back as a header (grpc-js adds the date).
    expect(Object.keys(again.headers?.getMap() ?? {}).filter((k) => k !== "date")).toEqual(["content-type"]);
    expect(again.headers?.get("content-type")).toEqual(["application/grpc"]);

    const metadata = await rawCall(
      "ModelMetadata",
      toBinary(ModelMetadataRequestSchema, create(ModelMetadataRequestSchema, { name: "digits" })),
    );
    expect(fromBinary(ModelMetadataResponseSchema, metadata.response ?? Buffer.alloc(0)).name).toBe(modelId);
  });

  it("REST on the emulator's REST port answers as rest-proxy: the same prediction, and the model's metadata", async () => {
    const modelId = await activeModel("digits");
    const rest = `http://127.0.0.1:${h.emulator.restPort}`;
    const body = JSON.stringify({
      inputs: [
        {
          name: "input-0",
          shape: [digits.inputs.length, digits.features],
          datatype: digits.datatype,
          data: digits.inputs,
        },
      ],
    });
    const started = performance.now();
    const reply = await fetch(`${rest}/v2/models/digits/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    timings.restInferenceMs = Math.round((performance.now() - started) * 10) / 10;
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe("application/json");
    const json = (await reply.json()) as { model_name: string; outputs: { name: string; data: number[] }[] };
    expect(json.model_name).toBe(modelId);
    expect(json.outputs.map((o) => [o.name, o.data])).toEqual([["predict", digits.expectedClasses]]);

    // Metadata: rest-proxy's protojson of what MLServer answers for the concrete model.
    const metadata = await fetch(`${rest}/v2/models/digits`);
    expect(metadata.status).toBe(200);
    const direct = inferenceClient(mlserver.grpcAddress);
    try {
      const expected = metadataResponseReply(await direct.modelMetadata({ name: modelId }));
      expect(await metadata.json()).toEqual(JSON.parse(expected.body));
      expect(JSON.parse(expected.body).name).toBe(modelId);
    } finally {
      direct.close();
    }

    const unknown = await fetch(`${rest}/v2/models/nosuch/infer`, { method: "POST", body });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: status.NOT_FOUND, message: "vmodel not found" });
  });

  it("a request MLServer refuses comes back with MLServer's own code and text", async () => {
    const modelId = await activeModel("digits");
    const threeFeatures = (modelName: string) =>
      toBinary(
        ModelInferRequestSchema,
        create(ModelInferRequestSchema, {
          modelName,
          inputs: [
            { name: "input-0", datatype: "FP32", shape: [1n, 3n], contents: { fp32Contents: [0, 1, 2] } },
          ],
        }),
      );
    const direct = new Client(mlserver.grpcAddress, credentials.createInsecure());
    try {
      const expected = await new Promise<{ code?: number; details?: string }>((resolve) =>
        direct.makeUnaryRequest(
          "/inference.GRPCInferenceService/ModelInfer",
          passThrough,
          passThrough,
          Buffer.from(threeFeatures(modelId)),
          new Metadata(),
          { deadline: Date.now() + 30_000 },
          (error) => resolve({ code: error?.code, details: error?.details }),
        ),
      );
      expect(expected.code).not.toBe(status.OK);
      expect(expected.details).toMatch(/64 features/);
      expect(failure(await rawCall("ModelInfer", threeFeatures("digits")))).toEqual(expected);
    } finally {
      direct.close();
    }
  });

  it("an update of storageUri serves the new model once the transition is done, and the old one is unloaded", async () => {
    const before = await activeModel("digits");
    await h.client.mergePatch(
      INFERENCE_SERVICES,
      { namespace: h.namespace, name: "digits" },
      { spec: { predictor: { model: { storageUri: `s3://modelmesh-example-models/${SEVENS}` } } } },
    );
    await expect.poll(() => activeModel("digits"), { timeout: 30_000, interval: 50 }).not.toBe(before);
    await until("digits", LOADED);
    const after = await activeModel("digits");
    const response = answered(await infer("digits"));
    expect(response.modelName).toBe(after);
    expect(classes(response)).toEqual(digits.inputs.map(() => 7));
    // The old model left the registry at the switch; MLServer no longer holds it.
    await expect.poll(indexed, { timeout: 10_000, interval: 100 }).toEqual([after]);
  });

  it("a model file MLServer cannot load gives FailedToLoad with MLServer's message, and leaves MLServer", async () => {
    await createIsvc("broken", `s3://modelmesh-example-models/${broken}`);
    await expect
      .poll(async () => (await get("broken"))?.status?.modelStatus?.states?.activeModelState, {
        timeout: 30_000,
        interval: 50,
      })
      .toBe("FailedToLoad");
    const modelStatus = (await get("broken"))?.status?.modelStatus;
    expect(modelStatus?.lastFailureInfo).toMatchObject({
      reason: "ModelLoadFailed",
      message: MLSERVER_BROKEN,
    });
    const modelId = await activeModel("broken");
    const record = await h.registry(modelId);
    expect(Object.values(record?.fails as Record<string, { msg: string }>)).toEqual([
      { msg: MLSERVER_BROKEN },
    ]);
    // Asked again, the mesh answers with the stored failure at once, without a new load.
    expect(failure(await infer("broken"))).toEqual({ code: status.INTERNAL, details: MLSERVER_BROKEN });
    // The adapter's directory of the failed load is unloaded, as model-mesh unloads a failed copy.
    await expect.poll(indexed, { timeout: 10_000, interval: 100 }).not.toContain(modelId);
  });

  it("a deleted InferenceService's model is unloaded from MLServer, and its name is then unknown", async () => {
    const modelId = await activeModel("digits");
    await h.client.delete(INFERENCE_SERVICES, "digits", h.namespace);
    await expect.poll(() => h.vmodel("digits"), { timeout: 30_000 }).toBeUndefined();
    await expect.poll(indexed, { timeout: 10_000, interval: 100 }).not.toContain(modelId);
    expect(failure(await infer("digits"))).toEqual({ code: status.NOT_FOUND, details: "vmodel not found" });
  });

  describe("routing as recorded (S9)", () => {
    const VMODEL = "s9-digits";
    const MODEL = "s9-digits__s9-0000000001";

    it("an unknown vmodel is NOT_FOUND, with or without routing headers; trailers carry only the content type", async () => {
      const cases: Record<string, string>[] = [
        { "mm-vmodel-id": "nosuch" },
        { "mm-model-id": "nosuch__isvc-0000000009" },
        {},
      ];
      for (const headers of cases) {
        const answer = await infer("nosuch", headers);
        expect(failure(answer)).toEqual({ code: status.NOT_FOUND, details: "vmodel not found" });
        const trailers = answer.error?.metadata.getMap() ?? {};
        expect(Object.keys(trailers).filter((k) => k !== "date")).toEqual(["content-type"]);
        expect(trailers["content-type"]).toBe("application/grpc");
      }
    });

    it("a registered model with no copy is loaded by the first request, which waits and is then served", async () => {
      await registerVModel(VMODEL, MODEL, "mt:sklearn", DIGITS);
      expect((await vmodelStatus(VMODEL)).activeModelStatus?.status).toBe(ModelStatus.NOT_LOADED);
      const seen: ModelStatus[] = [];
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const s = (await vmodelStatus(VMODEL)).activeModelStatus?.status ?? ModelStatus.UNKNOWN;
          if (seen.at(-1) !== s) seen.push(s);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      const sent = Date.now();
      const first = await infer(VMODEL, { "mm-vmodel-id": "nosuch" });
      polling = false;
      await poll;
      timings.loadOnDemandMs = Math.round(first.ms);
      const response = answered(first);
      expect(response.modelName).toBe(MODEL);
      expect(classes(response)).toEqual(digits.expectedClasses);
      expect(seen).toContain(ModelStatus.LOADING);
      // The placement wrote `lu` = now, with the copy.
      const record = await h.registry(MODEL);
      const placedAt = Object.values(record?.instanceIds as Record<string, number>);
      expect(placedAt).toHaveLength(1);
      expect(record?.lu).toBe(placedAt[0]);
      expect(Number(record?.lu)).toBeGreaterThanOrEqual(sent);
      expect(Number(record?.lu)).toBeLessThanOrEqual(sent + first.ms);
      expect(await indexed()).toContain(MODEL);
      // The next one is served at once.
      const next = await infer(VMODEL);
      expect(next.ms).toBeLessThan(first.ms);
      expect(classes(answered(next))).toEqual(digits.expectedClasses);
    });

    it("model_name decides: contradicting or doubled headers are ignored", async () => {
      const cases: Record<string, string>[] = [
        { "mm-model-id": "nosuch__isvc-0000000009" },
        { "mm-vmodel-id": "nosuch" },
        { "mm-vmodel-id": "a", "mm-model-id": "b" },
      ];
      for (const headers of cases) expect(answered(await infer(VMODEL, headers)).modelName).toBe(MODEL);
    });

    it("a concrete model id as model_name is NOT_FOUND: it is looked up as a vmodel", async () => {
      const cases: Record<string, string>[] = [{}, { "mm-model-id": MODEL }];
      for (const headers of cases) {
        expect(failure(await infer(MODEL, headers))).toEqual({
          code: status.NOT_FOUND,
          details: "vmodel not found",
        });
      }
    });

    it("an empty model_name is INVALID_ARGUMENT whatever the headers; without the field, the headers route", async () => {
      const cases: Record<string, string>[] = [{}, { "mm-vmodel-id": VMODEL }, { "mm-model-id": MODEL }];
      for (const headers of cases) {
        expect(failure(await infer("", headers))).toEqual({
          code: status.INVALID_ARGUMENT,
          details: "provided vmodel-id header must be non-empty",
        });
      }
      expect(answered(await infer(undefined, { "mm-vmodel-id": VMODEL })).modelName).toBe(MODEL);
      expect(answered(await infer(undefined, { "mm-model-id-bin": Buffer.from(MODEL) })).modelName).toBe(
        MODEL,
      );
      expect(failure(await infer(undefined))).toEqual({
        code: status.INVALID_ARGUMENT,
        details: "must include mm-model-id header",
      });
    });

    it("a model that fails to load on demand answers INTERNAL with MLServer's error, prefixed for the call that waited", async () => {
      await registerVModel("s9-broken", "s9-broken__s9-0000000004", "mt:sklearn", broken);
      expect(failure(await infer("s9-broken"))).toEqual({
        code: status.INTERNAL,
        details: `${WAITED}${MLSERVER_BROKEN}`,
      });
      expect(failure(await infer("s9-broken"))).toEqual({ code: status.INTERNAL, details: MLSERVER_BROKEN });
      expect((await vmodelStatus("s9-broken")).activeModelStatus?.errors).toEqual([MLSERVER_BROKEN]);
    });

    it("a type no instance serves answers INTERNAL, and nothing is placed", async () => {
      await registerVModel("s9-onnx", "s9-onnx__s9-0000000006", "mt:onnx", "onnx/mnist/model.onnx");
      expect(failure(await infer("s9-onnx"))).toEqual({
        code: status.INTERNAL,
        details: "There are no running instances that meet the label requirements of type mt:onnx: [mt:onnx]",
      });
      expect(await h.registry("s9-onnx__s9-0000000006")).not.toHaveProperty("instanceIds");
    });

    it("methods the adapter does not allow are UNIMPLEMENTED; without a header they are refused first", async () => {
      const ready = toBinary(ModelReadyRequestSchema, create(ModelReadyRequestSchema, { name: VMODEL }));
      expect(failure(await rawCall("ModelReady", ready, { "mm-vmodel-id": VMODEL }))).toEqual({
        code: status.UNIMPLEMENTED,
        details: "Method not found or not permitted: inference.GRPCInferenceService/ModelReady",
      });
      expect(failure(await rawCall("ServerLive", new Uint8Array(), { "mm-model-id": MODEL }))).toEqual({
        code: status.UNIMPLEMENTED,
        details: "Method not found or not permitted: inference.GRPCInferenceService/ServerLive",
      });
      expect(failure(await rawCall("ServerLive", new Uint8Array()))).toEqual({
        code: status.INVALID_ARGUMENT,
        details: "must include mm-model-id header",
      });
    });

    it("an emulated runtime's model loads as before but answers inference with UNIMPLEMENTED, saying so", async () => {
      const vmodel = "s9-mar";
      await mesh.setVModel({
        vModelId: vmodel,
        owner: OWNER,
        targetModelId: "s9-mar__s9-0000000007",
        autoDeleteTargetModel: true,
        loadNow: false,
        modelInfo: {
          type: "mt:pytorch-mar",
          path: "pytorch/model.mar",
          key: '{"model_type":{"name":"pytorch-mar"}}',
        },
      });
      const answer = await infer(vmodel);
      const torchserve = h.emulator.instances.find((i) => i.deployment === `${SERVICE_NAME}-torchserve-0.x`);
      expect(failure(answer)).toEqual({
        code: status.UNIMPLEMENTED,
        details:
          `the runtime of instance ${torchserve?.id} is emulated by the ModelMesh emulator: it holds no real model ` +
          "and serves no inference.GRPCInferenceService/ModelInfer (only MLServer runtimes run for real, with the " +
          "emulator's runtimeServers option)",
      });
      expect((await vmodelStatus(vmodel)).activeModelStatus?.status).toBe(ModelStatus.LOADED);
    });
  });

  it("an instance that stops being ready has its copies unloaded; one that goes takes its MLServer with it", async () => {
    expect(await indexed()).toContain("s9-digits__s9-0000000001");
    await h.setReady("mlserver-1.x", 0);
    await expect.poll(indexed, { timeout: 10_000, interval: 100 }).toEqual([]);
    expect(processGroupMembers(mlserver.pid).length).toBeGreaterThan(0);

    const name = `${SERVICE_NAME}-mlserver-1.x`;
    await h.client.mergePatch(DEPLOYMENTS, { namespace: h.namespace, name }, { spec: { replicas: 0 } });
    await h.emulator.waitForInstances((instances) => !instances.some((i) => i.deployment === name));
    await expect
      .poll(() => processGroupMembers(mlserver.pid).length, { timeout: 15_000, interval: 100 })
      .toBe(0);
    expect((await h.emulator.runtimeProcesses()).size).toBe(0);
  });
});
