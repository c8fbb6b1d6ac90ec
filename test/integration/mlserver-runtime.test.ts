import { lstat, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ExampleModels,
  exampleModel,
  type InferenceClient,
  inferenceClient,
  inferResponseReply,
  MlserverLoadError,
  MlserverModelRepository,
  type MlserverProcess,
  type ModelRepositoryClient,
  metadataResponseReply,
  modelRepositoryClient,
  processGroupMembers,
  pythonEnvBinDir,
  type RestCall,
  restCall,
  startMlserver,
  trainExampleModels,
} from "../support/mlserver/index.js";

const DIGITS = "sklearn/mnist-svm.joblib";
// A concrete model id as model-mesh makes them: `<vmodel>__isvc-<hash>`.
const DIGITS_ID = "example-sklearn-mnist__isvc-4e3c1a9f02";

/** The JSON of a v2 infer request for the known inputs of an example model. */
function inferBody(examples: ExampleModels, modelPath: string, nested: boolean): string {
  const model = exampleModel(examples, modelPath);
  const data = nested ? model.inputs : model.inputs.flat();
  const shape = [model.inputs.length, model.features];
  return JSON.stringify({
    id: "known-inputs",
    inputs: [{ name: "input-0", shape, datatype: model.datatype, data }],
  });
}

function inferCall(name: string, body: string): Extract<RestCall, { method: "ModelInfer" }> {
  const call = restCall("POST", `/v2/models/${name}/infer`, body);
  if (!("method" in call) || call.method !== "ModelInfer")
    throw new Error(`not an infer call: ${JSON.stringify(call)}`);
  return call;
}

/** JSON with the empty values MLServer writes and rest-proxy leaves out (`parameters: {}`, `versions: []`, ...). */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (value === null || typeof value !== "object") return value;
  const kept = Object.entries(value)
    .map(([key, v]) => [key, withoutEmpty(v)] as const)
    .filter(([, v]) => v !== "" && !(Array.isArray(v) && v.length === 0) && !isEmptyObject(v));
  return Object.fromEntries(kept);
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0;
}

describe("a real MLServer 1.7.1, loaded as the mlserver adapter does", () => {
  let workDir: string;
  let pythonBinDir: string;
  let examples: ExampleModels;
  let server: MlserverProcess;
  let repositoryClient: ModelRepositoryClient;
  let repository: MlserverModelRepository;
  let inference: InferenceClient;

  beforeAll(async () => {
    // A cold environment installs in about a minute; a cached one answers at once.
    pythonBinDir = await pythonEnvBinDir();
    workDir = await mkdtemp(path.join(tmpdir(), "mlserver-runtime-"));
    [examples, server] = await Promise.all([
      trainExampleModels(pythonBinDir, path.join(workDir, "example-models")),
      startMlserver({ pythonBinDir, dir: path.join(workDir, "mlserver") }),
    ]);
    repositoryClient = modelRepositoryClient(server.grpcAddress);
    repository = new MlserverModelRepository(server.repositoryDir, repositoryClient);
    inference = inferenceClient(server.grpcAddress);
  }, 600_000);

  afterAll(async () => {
    inference?.close();
    repositoryClient?.close();
    await server?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("starts with an empty repository of its own on loopback ports of its own", async () => {
    expect(server.grpcPort).not.toBe(server.httpPort);
    expect(await readdir(server.repositoryDir)).toEqual([]);
    expect(await repository.index()).toEqual([]);
    expect((await inference.serverLive({})).live).toBe(true);
    // The metrics server is off: no third port.
    expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(404);
  });

  it("lays the model out as the adapter does (a directory per model id, a link, model-settings.json) and loads it", async () => {
    const modelPath = path.join(examples.modelsDir, DIGITS);
    await repository.load({ modelId: DIGITS_ID, modelType: "sklearn", modelPath });

    const dir = path.join(server.repositoryDir, DIGITS_ID);
    expect((await readdir(dir)).sort()).toEqual(["mnist-svm.joblib", "model-settings.json"]);
    expect((await lstat(path.join(dir, "mnist-svm.joblib"))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(dir, "mnist-svm.joblib"))).toBe(modelPath);
    expect(JSON.parse(await readFile(path.join(dir, "model-settings.json"), "utf8"))).toEqual({
      implementation: "mlserver_sklearn.SKLearnModel",
      name: DIGITS_ID,
      parameters: { uri: path.join(dir, "mnist-svm.joblib") },
    });
    const index = await repository.index(true);
    // MLServer 1.7.1's ModelRepositoryService writes the Python enum's name as the state.
    expect(index.map((m) => [m.name, m.state])).toEqual([[DIGITS_ID, "State.READY"]]);
    expect((await inference.modelReady({ name: DIGITS_ID })).ready).toBe(true);
  });

  it("ModelInfer over gRPC predicts the known classes of the known digits", async () => {
    const digits = exampleModel(examples, DIGITS);
    const response = await inference.modelInfer({
      modelName: DIGITS_ID,
      inputs: [
        {
          name: "input-0",
          datatype: "FP32",
          shape: [BigInt(digits.inputs.length), 64n],
          contents: { fp32Contents: digits.inputs.flat() },
        },
      ],
    });
    expect(response.modelName).toBe(DIGITS_ID);
    expect(response.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ["predict", "INT64", [BigInt(digits.inputs.length), 1n]],
    ]);
    expect(response.outputs[0]?.contents?.int64Contents.map(Number)).toEqual(digits.expectedClasses);
  });

  it("the REST request translated to gRPC gets MLServer's own REST answer, nested or flat data alike", async () => {
    for (const nested of [true, false]) {
      const body = inferBody(examples, DIGITS, nested);
      const direct = await fetch(`${server.httpUrl}/v2/models/${DIGITS_ID}/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(direct.status).toBe(200);
      const expected = await direct.json();

      const reply = inferResponseReply(await inference.modelInfer(inferCall(DIGITS_ID, body).request));
      expect(reply.httpStatus).toBe(200);
      expect(withoutEmpty(JSON.parse(reply.body))).toEqual(withoutEmpty(expected));
      expect(JSON.parse(reply.body).outputs[0].data).toEqual(exampleModel(examples, DIGITS).expectedClasses);
    }

    const metadata = restCall("GET", `/v2/models/${DIGITS_ID}`, "");
    if (!("method" in metadata) || metadata.method !== "ModelMetadata")
      throw new Error("not a metadata call");
    const reply = metadataResponseReply(await inference.modelMetadata(metadata.request));
    const direct = await (await fetch(`${server.httpUrl}/v2/models/${DIGITS_ID}`)).json();
    expect(JSON.parse(reply.body)).toEqual(withoutEmpty(direct));
  });

  it("the mushroom models of xgboost and lightgbm predict their known classes", async () => {
    const mushrooms = [
      {
        modelPath: "xgboost/mushroom.json",
        modelType: "xgboost",
        modelId: "example-xgboost-mushroom__isvc-1",
      },
      {
        modelPath: "lightgbm/mushroom.bst",
        modelType: "lightgbm",
        modelId: "example-lightgbm-mushroom__isvc-1",
      },
    ];
    for (const { modelPath, modelType, modelId } of mushrooms) {
      await repository.load({ modelId, modelType, modelPath: path.join(examples.modelsDir, modelPath) });
      const reply = inferResponseReply(
        await inference.modelInfer(inferCall(modelId, inferBody(examples, modelPath, true)).request),
      );
      const data: number[] = JSON.parse(reply.body).outputs[0].data;
      // xgboost's classifier answers classes, lightgbm's binary booster P(class 1).
      const classes = modelType === "lightgbm" ? data.map((p) => (p > 0.5 ? 1 : 0)) : data;
      expect(classes).toEqual(exampleModel(examples, modelPath).expectedClasses);
      await repository.unload(modelId);
    }
  });

  it("unload removes the model from the repository index and deletes its directory", async () => {
    await repository.unload(DIGITS_ID);
    expect((await repository.index()).map((m) => m.name)).not.toContain(DIGITS_ID);
    await expect(lstat(path.join(server.repositoryDir, DIGITS_ID))).rejects.toThrow(/ENOENT/);
    await expect(inference.modelInfer({ modelName: DIGITS_ID })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    // A second unload of the same id is no error, as in the adapter.
    await repository.unload(DIGITS_ID);
  });

  it("a model file MLServer cannot load fails the load with MLServer's own status and message", async () => {
    const modelId = "broken-model__isvc-1";
    const failure = await repository
      .load({ modelId, modelType: "sklearn", modelPath: path.join(examples.modelsDir, examples.broken) })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(MlserverLoadError);
    const loadError = failure as MlserverLoadError;
    // joblib's unpickler fails on the bytes; MLServer reports the exception's text as INTERNAL.
    expect(loadError.code).toBe(status.INTERNAL);
    expect(loadError.details).toBe("pop from empty list");
    expect(loadError.message).toBe(
      "Failed to load Model due to MLServer runtime error: rpc error: code = Internal desc = pop from empty list",
    );
    expect((await repository.index()).find((m) => m.name === modelId)?.state).toBe("State.UNAVAILABLE");
    await repository.unload(modelId);
    expect((await repository.index()).map((m) => m.name)).not.toContain(modelId);
  });

  it("with an inference worker process, predicts through the worker and stop ends the whole process group", async () => {
    const withWorker = await startMlserver({
      pythonBinDir,
      dir: path.join(workDir, "mlserver-with-worker"),
      parallelWorkers: 1,
    });
    const workerRepositoryClient = modelRepositoryClient(withWorker.grpcAddress);
    const workerInference = inferenceClient(withWorker.grpcAddress);
    try {
      await new MlserverModelRepository(withWorker.repositoryDir, workerRepositoryClient).load({
        modelId: DIGITS_ID,
        modelType: "sklearn",
        modelPath: path.join(examples.modelsDir, DIGITS),
      });
      const reply = inferResponseReply(
        await workerInference.modelInfer(inferCall(DIGITS_ID, inferBody(examples, DIGITS, true)).request),
      );
      expect(JSON.parse(reply.body).outputs[0].data).toEqual(exampleModel(examples, DIGITS).expectedClasses);
      // The leader and at least its worker.
      expect(processGroupMembers(withWorker.pid).length).toBeGreaterThanOrEqual(2);
    } finally {
      workerInference.close();
      workerRepositoryClient.close();
      await withWorker.stop();
    }
    expect(processGroupMembers(withWorker.pid)).toEqual([]);
  });
});
