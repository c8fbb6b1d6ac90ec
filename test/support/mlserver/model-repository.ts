/**
 * TEST/SANDBOX INFRASTRUCTURE — never shipped. Loads and unloads models in a running MLServer the way
 * modelmesh-runtime-adapter's mlserver adapter does (model-mesh-mlserver-adapter/server/server.go: LoadModel,
 * adaptModelLayout, generateModelConfigJSON, UnloadModel): a directory per concrete model id under the
 * repository, a symlink to the model file named as the file, a generated `model-settings.json` whose `name` is
 * the model id, `implementation` follows the model type and `parameters.uri` is the link's absolute path; then
 * `inference.model_repository.ModelRepositoryService/RepositoryModelLoad`. A failed load keeps MLServer's own
 * status code and text (`MlserverLoadError`); the directory stays until `unload`, as with the adapter.
 */
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { RepositoryIndexResponse_ModelIndex } from "./gen/inference/model_repository_pb.js";
import type { ModelRepositoryClient } from "./grpc-clients.js";

export const MODEL_SETTINGS_FILE = "model-settings.json";

/** The adapter's model type → MLServer implementation; other types get no `implementation`. */
const IMPLEMENTATIONS: Readonly<Record<string, string>> = {
  lightgbm: "mlserver_lightgbm.LightGBMModel",
  sklearn: "mlserver_sklearn.SKLearnModel",
  xgboost: "mlserver_xgboost.XGBoostModel",
  mllib: "mlserver-mllib.MLlibModel",
};

export interface ModelToLoad {
  /** The concrete model id (model-mesh's, e.g. `example-sklearn-mnist__isvc-6b2eb0b8bf`). */
  readonly modelId: string;
  /** The model format, e.g. `sklearn` (case and a `:version` suffix are ignored, as in the adapter). */
  readonly modelType: string;
  /** Absolute path of the model file or directory, as the puller leaves it. */
  readonly modelPath: string;
}

/** A load that MLServer refused; `details` is MLServer's own message, `code` its gRPC status code. */
export class MlserverLoadError extends Error {
  override readonly name = "MlserverLoadError";
  constructor(
    readonly modelId: string,
    readonly code: status,
    readonly details: string,
  ) {
    // The adapter's wording, with Go's rendering of the gRPC error it wraps.
    super(
      `Failed to load Model due to MLServer runtime error: rpc error: code = ${goCodeName(code)} desc = ${details}`,
    );
  }
}

/** The adapter's normalisation of a model type: lower case, anything after `:` dropped. */
export function normalizedModelType(modelType: string): string {
  return (modelType.split(":")[0] ?? "").toLowerCase();
}

/**
 * The `model-settings.json` text the adapter generates for a model file linked at `linkPath`: Go's
 * `json.MarshalIndent(map, "", "  ")`, so keys sorted and two-space indents.
 */
export function generatedModelSettings(modelId: string, modelType: string, linkPath: string): string {
  const implementation = IMPLEMENTATIONS[normalizedModelType(modelType)];
  const settings: Record<string, unknown> = {
    ...(implementation ? { implementation } : {}),
    name: modelId,
    parameters: { uri: linkPath },
  };
  return JSON.stringify(settings, null, 2);
}

/** `<root>/<modelId>` that cannot leave `root`, like the adapter's util.SecureJoin. */
export function modelDirectory(repositoryDir: string, modelId: string): string {
  return path.join(repositoryDir, path.posix.resolve("/", modelId));
}

export class MlserverModelRepository {
  constructor(
    private readonly repositoryDir: string,
    private readonly client: ModelRepositoryClient,
  ) {}

  /** Lays the model out and loads it; rejects with `MlserverLoadError` when MLServer cannot load it. */
  async load(model: ModelToLoad): Promise<void> {
    const dir = modelDirectory(this.repositoryDir, model.modelId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const linkPath = path.join(dir, path.basename(model.modelPath));
    await symlink(model.modelPath, linkPath);
    await writeFile(
      path.join(dir, MODEL_SETTINGS_FILE),
      generatedModelSettings(model.modelId, model.modelType, linkPath),
      { mode: 0o664 },
    );
    try {
      await this.client.repositoryModelLoad({ modelName: model.modelId });
    } catch (error) {
      const failure = error as ServiceError;
      throw new MlserverLoadError(
        model.modelId,
        failure.code ?? status.UNKNOWN,
        failure.details ?? String(error),
      );
    }
  }

  /** Unloads the model (one MLServer does not know is no error, as in the adapter) and deletes its directory. */
  async unload(modelId: string): Promise<void> {
    try {
      await this.client.repositoryModelUnload({ modelName: modelId });
    } catch (error) {
      const code = (error as ServiceError).code;
      if (code !== status.INVALID_ARGUMENT && code !== status.NOT_FOUND) {
        throw Object.assign(new Error("Failed to unload model from MLServer"), { code, cause: error });
      }
    }
    await rm(modelDirectory(this.repositoryDir, modelId), { recursive: true, force: true });
  }

  /** MLServer's repository index: every model directory it knows, with its state (`READY`, `UNAVAILABLE`, ...). */
  async index(readyOnly = false): Promise<RepositoryIndexResponse_ModelIndex[]> {
    return (await this.client.repositoryIndex({ ready: readyOnly })).models;
  }
}

/** Go's name of a gRPC code in `status.Error` strings (codes.Code.String()). */
function goCodeName(code: status): string {
  const names: Record<number, string> = {
    [status.OK]: "OK",
    [status.CANCELLED]: "Canceled",
    [status.UNKNOWN]: "Unknown",
    [status.INVALID_ARGUMENT]: "InvalidArgument",
    [status.DEADLINE_EXCEEDED]: "DeadlineExceeded",
    [status.NOT_FOUND]: "NotFound",
    [status.ALREADY_EXISTS]: "AlreadyExists",
    [status.PERMISSION_DENIED]: "PermissionDenied",
    [status.RESOURCE_EXHAUSTED]: "ResourceExhausted",
    [status.FAILED_PRECONDITION]: "FailedPrecondition",
    [status.ABORTED]: "Aborted",
    [status.OUT_OF_RANGE]: "OutOfRange",
    [status.UNIMPLEMENTED]: "Unimplemented",
    [status.INTERNAL]: "Internal",
    [status.UNAVAILABLE]: "Unavailable",
    [status.DATA_LOSS]: "DataLoss",
    [status.UNAUTHENTICATED]: "Unauthenticated",
  };
  return names[code] ?? `Code(${code})`;
}
