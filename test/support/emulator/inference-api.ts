/**
 * TEST/SANDBOX INFRASTRUCTURE — part of the ModelMesh emulator. Inference routed as model-mesh routes it
 * (modelmesh `ModelMeshApi.startCall` and `callModel`, `VModelManager.resolveVModelId`), recorded in
 * test/fixtures/model-mesh-observed/S9.jsonl: the data-plane config decides where the model id comes from
 * (`request-ids.ts`); a vmodel id resolves to its active model; a model with a loaded copy is served by the
 * instance holding it, without waiting for registry changes in progress; a registered model with no copy is
 * placed (`lu` = now), loaded, and then served, the call waiting for the load; a failed load answers INTERNAL with
 * its text (prefixed with the exception's class for the calls that waited for it). The request reaches the
 * instance's real runtime, which answers as it does; an emulated instance answers that it serves no inference.
 */
import { type Metadata, status } from "@grpc/grpc-js";
import { WAITED_FAILURE_PREFIX } from "./failure-messages.js";
import { MeshStatus } from "./mesh-replies.js";
import type { MeshState } from "./mesh-state.js";
import type { RuntimeReply } from "./raw-grpc-channel.js";
import type { ModelRecord } from "./registry-records.js";
import { requestedModel } from "./request-ids.js";
import type { RuntimeServers } from "./runtime-servers.js";

/** model-mesh's bound on the attempts to find a copy to serve a request from. */
const MAX_ATTEMPTS = 8;

class ModelNotFound extends MeshStatus {
  constructor() {
    super(status.NOT_FOUND, "model not found");
  }
}

/** The answer of an instance the emulator only emulates. */
export function emulatedRuntimeMessage(instanceId: string, method: string): string {
  return (
    `the runtime of instance ${instanceId} is emulated by the ModelMesh emulator: it holds no real model and ` +
    `serves no ${method} (only MLServer runtimes run for real, with the emulator's runtimeServers option)`
  );
}

export class InferenceApi {
  constructor(
    private readonly mesh: MeshState,
    private readonly runtimes: RuntimeServers | undefined,
  ) {}

  /** Routes one unary call of `method` (`<package.Service>/<Method>`); throws `MeshStatus` with the answer. */
  async call(method: string, headers: Metadata, request: Buffer, deadline?: Date): Promise<RuntimeReply> {
    const config = this.mesh.view.dataplane.rpcConfig(method);
    if (config === undefined) throw new MeshStatus(status.UNIMPLEMENTED, "");
    const { id, isVModel } = requestedModel(config, headers, request);
    const invoke = (modelId: string) => this.callModel(modelId, method, headers, request, deadline);
    if (!isVModel) return invoke(id);
    const modelId = await this.resolveVModel(id);
    try {
      return await invoke(modelId);
    } catch (error) {
      if (!(error instanceof ModelNotFound)) throw error;
    }
    // The active model went meanwhile: read the vmodel again, and take its target if it still names that one.
    return invoke(await this.resolveVModel(id, modelId));
  }

  private async resolveVModel(vModelId: string, notFound?: string): Promise<string> {
    const vmodel = await this.mesh.store.readVModel(vModelId);
    if (vmodel === undefined) throw new MeshStatus(status.NOT_FOUND, "vmodel not found");
    if (vmodel.active !== notFound) return vmodel.active;
    if (vmodel.target !== notFound) return vmodel.target;
    throw new ModelNotFound();
  }

  private async callModel(
    modelId: string,
    method: string,
    headers: Metadata,
    request: Buffer,
    deadline: Date | undefined,
  ): Promise<RuntimeReply> {
    const instanceId = await this.servingInstance(modelId);
    const runtime = this.runtimes?.of(instanceId);
    if (runtime === undefined)
      throw new MeshStatus(status.UNIMPLEMENTED, emulatedRuntimeMessage(instanceId, method));
    return runtime.invoke(method, headers, request, modelId, deadline);
  }

  /** The instance holding a loaded copy of the model, after loading one if it has none. */
  private async servingInstance(modelId: string): Promise<string> {
    const { store, loads, exclusive } = this.mesh;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const record = await store.readModel(modelId);
      if (record === undefined) throw new ModelNotFound();
      for (const instance of record.instanceIds.keys())
        if (!loads.isLoading(modelId, instance)) return instance;
      const placement = await exclusive.run(async () => {
        const current = store.model(modelId);
        if (current === undefined) throw new ModelNotFound();
        const placed = await loads.ensureCopy(modelId, current, this.mesh.view);
        if (placed.kind === "failed") throw new MeshStatus(status.INTERNAL, latestFailure(current));
        if (placed.kind === "loading" && placed.placed) await this.mesh.placed(modelId);
        return placed;
      });
      if (placement.kind === "nowhere") throw new MeshStatus(status.INTERNAL, placement.message);
      if (placement.kind === "loading") {
        const outcome = await placement.load;
        if (outcome.kind === "failed")
          throw new MeshStatus(status.INTERNAL, `${WAITED_FAILURE_PREFIX}${outcome.message}`);
        if (outcome.kind === "cancelled") throw new ModelNotFound();
      }
    }
    throw new MeshStatus(status.INTERNAL, `no copy of model ${modelId} could serve the request`);
  }
}

/** The text of the model's most recent load failure. */
function latestFailure(record: ModelRecord): string {
  const [latest] = [...record.failedIn].sort(([, a], [, b]) => b - a);
  return (latest && record.fails.get(latest[0])) ?? "";
}
