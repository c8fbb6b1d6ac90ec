/**
 * TEST/SANDBOX INFRASTRUCTURE — part of the ModelMesh emulator. The real runtime behind one emulated instance of
 * an MLServer runtime: one MLServer process of its own (loopback ports, repository directory), driven as the
 * mlserver adapter drives it (model-mesh-mlserver-adapter/server/server.go). Loads and unloads go through
 * `MlserverModelRepository`, one at a time per model (a load waits for an unload of the same model in progress,
 * as model-mesh's sidecar makes it); a failed load keeps its directory until it is unloaded, as with the adapter.
 * Inference is the adapter's contract: only the methods its `runtimeStatus` lists (ModelInfer and ModelMetadata,
 * each with the concrete id injected at field 1) reach MLServer, as raw bytes, and the answer comes back as
 * MLServer sent it.
 */
import { type Metadata, status } from "@grpc/grpc-js";
import type { Logger } from "../../../src/controller-runtime/logging.js";
import {
  MlserverLoadError,
  MlserverModelRepository,
  type MlserverProcess,
  type ModelRepositoryClient,
  modelRepositoryClient,
  startMlserver,
} from "../mlserver/index.js";
import { grpcCodeName, runtimeErrorText } from "./failure-messages.js";
import { MeshStatus } from "./mesh-replies.js";
import { spliceString } from "./proto-splicing.js";
import { RawGrpcChannel, type RuntimeReply } from "./raw-grpc-channel.js";
import { runtimeHeaders } from "./request-ids.js";

/** The mlserver adapter's `methodInfos`: the methods it allows, each with the field path of the model id. */
const INJECTION_PATHS: ReadonlyMap<string, readonly number[]> = new Map([
  ["inference.GRPCInferenceService/ModelInfer", [1]],
  ["inference.GRPCInferenceService/ModelMetadata", [1]],
]);

/** What model-mesh asks a runtime to load (`mmesh.LoadModelRequest`), with the model file already pulled. */
export interface RuntimeLoadRequest {
  readonly modelId: string;
  /** The registry's type, e.g. `mt:sklearn`. */
  readonly modelType: string;
  /** The registry's `encKey`: for modelmesh-serving, JSON naming the storage and `model_type`. */
  readonly modelKey: string;
  /** Absolute path of the model file or directory. */
  readonly modelPath: string;
}

/**
 * The model format the adapter loads with (util.GetModelType): `model_type.name` of the model key. Where the key
 * has none, the format of the type's `mt:` label (the adapter would take the whole type, which names no format).
 */
export function adapterModelType(request: Pick<RuntimeLoadRequest, "modelType" | "modelKey">): string {
  try {
    const key = JSON.parse(request.modelKey) as { model_type?: { name?: unknown } };
    if (typeof key?.model_type?.name === "string") return key.model_type.name;
  } catch {
    // Not JSON: fall back to the type.
  }
  const label = request.modelType.split("|").find((part) => part.startsWith("mt:"));
  return label === undefined ? request.modelType : label.slice("mt:".length);
}

export interface MlserverInstanceOptions {
  readonly pythonBinDir: string;
  /** MLServer's own directory (repository, log, working files). */
  readonly dir: string;
  readonly parallelWorkers?: number;
}

/** model-mesh tries a failed unload again after 10 s. */
const UNLOAD_RETRY_MS = 10_000;

export class MlserverInstance {
  /** Settles once MLServer serves (or could not start). */
  readonly started: Promise<MlserverProcess>;
  private repositoryClient: ModelRepositoryClient | undefined;
  private repository: MlserverModelRepository | undefined;
  private channel: RawGrpcChannel | undefined;
  /** Models laid out in the repository (loaded, or failed and not yet unloaded). */
  private readonly held = new Set<string>();
  /** Per model, the end of its queued operations. */
  private readonly operations = new Map<string, Promise<void>>();
  /** Models whose unload failed, with the time to try again. */
  private readonly unloadRetryAt = new Map<string, number>();

  constructor(
    readonly instanceId: string,
    options: MlserverInstanceOptions,
    private readonly log: Logger,
  ) {
    this.started = startMlserver({
      pythonBinDir: options.pythonBinDir,
      dir: options.dir,
      ...(options.parallelWorkers !== undefined && { parallelWorkers: options.parallelWorkers }),
    }).then((server) => {
      this.repositoryClient = modelRepositoryClient(server.grpcAddress);
      this.repository = new MlserverModelRepository(server.repositoryDir, this.repositoryClient);
      this.channel = new RawGrpcChannel(server.grpcAddress);
      log.info(
        {
          instanceId,
          pid: server.pid,
          grpc: server.grpcAddress,
          rest: server.httpUrl,
          startMs: server.startMs,
        },
        "MLServer started",
      );
      return server;
    });
    this.started.catch((error: unknown) =>
      log.error({ instanceId, error: String(error) }, "MLServer did not start"),
    );
  }

  /** Loads the model; resolves with model-mesh's failure text when the runtime refused it, else undefined. */
  load(request: RuntimeLoadRequest): Promise<string | undefined> {
    const model = {
      modelId: request.modelId,
      modelType: adapterModelType(request),
      modelPath: request.modelPath,
    };
    return this.serialized(model.modelId, async () => {
      let repository: MlserverModelRepository;
      try {
        await this.started;
        repository = this.ready();
      } catch (error) {
        return runtimeErrorText("UNAVAILABLE", `the runtime did not start: ${(error as Error).message}`);
      }
      this.held.add(model.modelId);
      try {
        await repository.load(model);
        return undefined;
      } catch (error) {
        // The adapter answers with MLServer's own code; model-mesh puts the code's name first.
        if (error instanceof MlserverLoadError)
          return runtimeErrorText(grpcCodeName(error.code), error.message);
        return runtimeErrorText("INTERNAL", `Failed to load Model due to adapter error: ${String(error)}`);
      }
    });
  }

  /** Unloads the model and deletes its directory; a model MLServer does not know is no error. */
  unload(modelId: string): Promise<void> {
    return this.serialized(modelId, async () => {
      try {
        await this.ready().unload(modelId);
        this.held.delete(modelId);
        this.unloadRetryAt.delete(modelId);
      } catch (error) {
        this.unloadRetryAt.set(modelId, Date.now() + UNLOAD_RETRY_MS);
        this.log.warn({ instanceId: this.instanceId, modelId, error: String(error) }, "unload failed");
      }
    });
  }

  /** The models in its repository with no load or unload queued (nor an unload that failed just now). */
  settledModels(): string[] {
    const now = Date.now();
    return [...this.held].filter(
      (modelId) => !this.operations.has(modelId) && (this.unloadRetryAt.get(modelId) ?? 0) <= now,
    );
  }

  /**
   * Sends `request` for the concrete model `modelId` to MLServer, as the adapter's contract allows: the model id
   * injected, the caller's headers passed on; MLServer's errors come back with its code and text.
   */
  async invoke(
    method: string,
    headers: Metadata,
    request: Buffer,
    modelId: string,
    deadline?: Date,
  ): Promise<RuntimeReply> {
    const injectionPath = INJECTION_PATHS.get(method);
    if (injectionPath === undefined)
      throw new MeshStatus(status.UNIMPLEMENTED, `Method not found or not permitted: ${method}`);
    await this.started;
    const channel = this.channel;
    if (channel === undefined) throw new Error("MLServer has no channel");
    const spliced = spliceString(request, injectionPath, modelId);
    const body = Buffer.from(spliced.buffer, spliced.byteOffset, spliced.byteLength);
    return channel.unary(method, runtimeHeaders(headers, modelId), body, deadline);
  }

  /** Stops MLServer and every process of its group. */
  async stop(): Promise<void> {
    const server = await this.started.catch(() => undefined);
    this.channel?.close();
    this.repositoryClient?.close();
    await server?.stop();
  }

  private ready(): MlserverModelRepository {
    if (this.repository === undefined) throw new Error("MLServer is not running");
    return this.repository;
  }

  private serialized<T>(modelId: string, operation: () => Promise<T>): Promise<T> {
    const result = (this.operations.get(modelId) ?? Promise.resolve()).then(operation);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.operations.set(modelId, tail);
    void tail.then(() => {
      if (this.operations.get(modelId) === tail) this.operations.delete(modelId);
    });
    return result;
  }
}
