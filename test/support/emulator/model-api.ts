/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. The concrete-model RPCs (`registerModel`,
 * `unregisterModel`, `ensureLoaded`, `getModelStatus`) with the real model-mesh's answers, errors and registry
 * writes. `lu` (last used) of a new registration: the given `lastUsedTime` if in the past, else now − 1 h with
 * `loadNow` and now − 6 h without (model-mesh's `LASTUSED_AGE_ON_ADD_MS`); a load `ensureLoaded` triggers writes
 * `lu` = the given `lastUsedTime`, or now, with its placement.
 */
import { status } from "@grpc/grpc-js";
import type {
  EnsureLoadedRequest,
  ModelStatusInfo,
  RegisterModelRequest,
  UnregisterModelRequest,
} from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { Deferred, type LoadOutcome, MeshStatus, type Reply } from "./mesh-replies.js";
import type { MeshState } from "./mesh-state.js";
import type { Placement } from "./model-loads.js";
import { newModelRecord, sameModel } from "./registry-records.js";
import { afterWait, placementFailure } from "./status-answers.js";

/** model-mesh's `LASTUSED_AGE_ON_ADD_MS`: new models do not push out those used within the last hour. */
export const LAST_USED_AGE_ON_ADD_MS = 3_600_000;

/** `lu` of a model registered now. */
function registrationLastUsed(now: number, loadNow: boolean, lastUsedTime = 0n): number {
  const given = Number(lastUsedTime);
  if (given > 0 && given < now) return given;
  if (given >= now) return now;
  return now - (loadNow ? 1 : 6) * LAST_USED_AGE_ON_ADD_MS;
}

export class ModelApi {
  constructor(private readonly mesh: MeshState) {}

  async registerModel(request: RegisterModelRequest): Promise<Reply<ModelStatusInfo>> {
    const { modelId } = request;
    if (!modelId) throw new MeshStatus(status.INVALID_ARGUMENT, "must provide non-empty modelId");
    const info = request.modelInfo ?? { type: "", path: "", key: "" };
    if (!info.type) throw new MeshStatus(status.INVALID_ARGUMENT, "must provide non-empty model type");
    const now = Date.now();
    let record = await this.mesh.store.modelStrong(modelId);
    if (record && !sameModel(record, info)) {
      throw new MeshStatus(status.ALREADY_EXISTS, "Model already exists with different attribute values");
    }
    if (record === undefined) {
      record = newModelRecord(info, false, registrationLastUsed(now, request.loadNow, request.lastUsedTime));
      this.mesh.commit([{ put: "model", id: modelId, record }]);
    }
    if (!request.loadNow) return this.mesh.modelStatus(modelId);
    const placement = await this.mesh.loads.ensureCopy(modelId, record, this.mesh.view, record.lu);
    return this.answer(modelId, placement, request.sync);
  }

  async unregisterModel(request: UnregisterModelRequest): Promise<Record<string, never>> {
    const record = await this.mesh.store.modelStrong(request.modelId);
    if (record === undefined) return {};
    if (record.refs > 0) {
      throw new MeshStatus(status.FAILED_PRECONDITION, `Model ${request.modelId} has referents`);
    }
    this.mesh.commit([{ delete: "model", id: request.modelId }]);
    return {};
  }

  async ensureLoaded(request: EnsureLoadedRequest): Promise<Reply<ModelStatusInfo>> {
    const record = await this.mesh.store.modelStrong(request.modelId);
    if (record === undefined) throw new MeshStatus(status.NOT_FOUND, "model not found");
    const given = Number(request.lastUsedTime);
    const lastUsed = given > 0 && given < Date.now() ? given : undefined;
    const placement = await this.mesh.loads.ensureCopy(request.modelId, record, this.mesh.view, lastUsed);
    if (placement.kind === "loading" && placement.placed) await this.mesh.placed(request.modelId);
    return this.answer(request.modelId, placement, request.sync);
  }

  getModelStatus(modelId: string): ModelStatusInfo {
    return this.mesh.modelStatus(modelId);
  }

  /** The status after a placement: at once, or (sync) once the load has ended. */
  private answer(modelId: string, placement: Placement, sync: boolean): Reply<ModelStatusInfo> {
    if (placement.kind === "nowhere") return placementFailure(placement.message);
    if (placement.kind === "loading" && sync) {
      return new Deferred(placement.load, (outcome: LoadOutcome) =>
        afterWait(this.mesh.modelStatus(modelId), outcome),
      );
    }
    return this.mesh.modelStatus(modelId);
  }
}
