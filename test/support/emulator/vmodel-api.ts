/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. The vmodel RPCs (`setVModel`, `deleteVModel`,
 * `getVModelStatus`) with the real model-mesh's answers, errors and transactions:
 * - a new vmodel, or a new target, is one transaction: the vmodel (`{o, amid, tmid}`) first, then the target's
 *   record with one more reference, then whatever lost a reference;
 * - `lu` of a new target: now − 1 h with `loadNow`, now − 6 h without; of a transition target: the active model's
 *   `lu`; an existing model the vmodel now refers to: raised to now − 1 h (− 6 h);
 * - setting the target back to the active model while a transition is pending adds a reference to the active
 *   model without dropping the one it had: the real model-mesh leaks it (`refs: 2`), and so does this emulator;
 * - a call that changes nothing writes nothing;
 * - `deleteVModel` is one transaction too: the models' records (fewer references, or deleted), then the vmodel.
 */
import { status } from "@grpc/grpc-js";
import type {
  DeleteVModelRequest,
  GetVModelStatusRequest,
  SetVModelRequest,
  VModelStatusInfo,
} from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { Deferred, type LoadOutcome, MeshStatus, type Reply } from "./mesh-replies.js";
import type { MeshState } from "./mesh-state.js";
import { LAST_USED_AGE_ON_ADD_MS } from "./model-api.js";
import type { Placement } from "./model-loads.js";
import { dropReference } from "./references.js";
import { type ModelRecord, newModelRecord, sameModel, type VModelRecord } from "./registry-records.js";
import type { RegistryOp } from "./registry-store.js";
import { afterWait, placementFailure, vmodelNotFound } from "./status-answers.js";
import type { VModelTransitions } from "./vmodel-transitions.js";

/** model-mesh's default owner for vmodels created without one, as modelmesh-serving configures it. */
const DEFAULT_OWNER = "ksp";
/** How long a `sync` setVModel waits for its transition before answering the current state. */
const TRANSITION_WAIT_MS = 4 * 60_000;

export class VModelApi {
  constructor(
    private readonly mesh: MeshState,
    private readonly transitions: VModelTransitions,
  ) {}

  /**
   * The answer to a `setVModel` that would change nothing and start no load, read from the cached records without
   * waiting for the changes in progress (as model-mesh answers it from its local view); undefined otherwise.
   */
  unchangedAnswer(request: SetVModelRequest): VModelStatusInfo | undefined {
    const { store } = this.mesh;
    const vmodel = store.vmodel(request.vModelId);
    if (vmodel === undefined || request.sync || vmodel.target !== request.targetModelId) return undefined;
    if (request.owner && vmodel.owner !== request.owner) return undefined;
    const target = store.model(request.targetModelId);
    if (target === undefined || (request.modelInfo && !sameModel(target, request.modelInfo)))
      return undefined;
    const placementNeeded =
      request.loadNow && vmodel.target === vmodel.active && target.instanceIds.size === 0;
    return placementNeeded ? undefined : this.mesh.vmodelStatus(vmodel);
  }

  async setVModel(request: SetVModelRequest): Promise<Reply<VModelStatusInfo>> {
    const { vModelId, targetModelId } = request;
    if (!vModelId || !targetModelId) {
      throw new MeshStatus(status.INVALID_ARGUMENT, "must provide vModelId and targetModelId");
    }
    const { store } = this.mesh;
    let vmodel = await store.vmodelStrong(vModelId);
    if (vmodel && request.owner && vmodel.owner !== request.owner) {
      throw new MeshStatus(status.ALREADY_EXISTS, `VModel ${vModelId} already exists with a different owner`);
    }
    if (!vmodel && request.updateOnly) throw new MeshStatus(status.NOT_FOUND, `VModel ${vModelId} not found`);
    const expected = request.expectedTargetModelId;
    if (expected && (vmodel ? vmodel.target !== expected : expected !== targetModelId)) {
      throw new MeshStatus(status.FAILED_PRECONDITION, `VModel ${vModelId} target is not ${expected}`);
    }
    const now = Date.now();
    const addedLastUsed = now - (request.loadNow ? 1 : 6) * LAST_USED_AGE_ON_ADD_MS;
    let target = await store.modelStrong(targetModelId);
    const existed = target !== undefined;
    if (target === undefined) {
      if (!request.modelInfo)
        throw new MeshStatus(status.NOT_FOUND, `Target model ${targetModelId} not found`);
      target = newModelRecord(request.modelInfo, request.autoDeleteTargetModel, addedLastUsed);
    } else if (request.modelInfo && !sameModel(target, request.modelInfo)) {
      throw new MeshStatus(status.ALREADY_EXISTS, "Model already exists with different attribute values");
    }

    const ops: RegistryOp[] = [];
    let transition = false;
    if (vmodel === undefined) {
      vmodel = {
        owner: request.owner || DEFAULT_OWNER,
        active: targetModelId,
        target: targetModelId,
        failed: false,
        unknown: {},
      };
      this.refer(target, existed, addedLastUsed);
      ops.push(
        { put: "vmodel", id: vModelId, record: vmodel },
        { put: "model", id: targetModelId, record: target },
      );
    } else if (vmodel.target !== targetModelId) {
      const pending = vmodel.target !== vmodel.active ? vmodel.target : undefined;
      vmodel.target = targetModelId;
      vmodel.failed = false;
      if (targetModelId === vmodel.active) {
        // Back to the active model: the pending target loses its reference, the active one gains another.
        this.refer(target, true, addedLastUsed);
      } else {
        const active = store.model(vmodel.active);
        if (!existed && active !== undefined) target.lu = active.lu;
        this.refer(target, existed || active === undefined, addedLastUsed);
        if (
          request.force ||
          !this.hasLoadedCopy(vmodel.active, active) ||
          this.switchesAtOnce(target, active)
        ) {
          const previous = vmodel.active;
          vmodel.active = targetModelId;
          ops.push(...dropReference(previous, active));
        } else transition = true;
      }
      ops.unshift(
        { put: "vmodel", id: vModelId, record: vmodel },
        { put: "model", id: targetModelId, record: target },
      );
      if (pending !== undefined && pending !== targetModelId)
        ops.push(...dropReference(pending, store.model(pending)));
    }
    this.mesh.commit(ops);

    const answerOf = (record: VModelRecord) => this.mesh.vmodelStatus(record);
    if (transition) {
      // The answer shows the target before its placement, as model-mesh's does.
      const answer = answerOf(vmodel);
      const { done } = await this.transitions.begin(vModelId);
      if (!request.sync) return answer;
      return new Deferred(withTimeout(done, TRANSITION_WAIT_MS), (outcome) => this.waited(vModelId, outcome));
    }
    // A transition already pending goes on as it was.
    if (!request.loadNow || vmodel.target !== vmodel.active) return answerOf(vmodel);
    const record = store.model(targetModelId);
    if (record === undefined) return answerOf(vmodel);
    const placement = await this.mesh.loads.ensureCopy(targetModelId, record, this.mesh.view, addedLastUsed);
    return this.answer(vModelId, vmodel, placement, request.sync && request.modelInfo !== undefined);
  }

  async deleteVModel(request: DeleteVModelRequest): Promise<Record<string, never>> {
    const { store } = this.mesh;
    const vmodel = await store.vmodelStrong(request.vModelId);
    if (vmodel === undefined || (request.owner && vmodel.owner !== request.owner)) return {};
    const ops: RegistryOp[] = [];
    for (const id of new Set([vmodel.active, vmodel.target])) ops.push(...dropReference(id, store.model(id)));
    ops.push({ delete: "vmodel", id: request.vModelId });
    this.mesh.commit(ops);
    return {};
  }

  async getVModelStatus(request: GetVModelStatusRequest): Promise<VModelStatusInfo> {
    const vmodel = await this.mesh.store.vmodelStrong(request.vModelId);
    if (vmodel === undefined || (request.owner && vmodel.owner !== request.owner)) return vmodelNotFound();
    return this.mesh.vmodelStatus(vmodel);
  }

  /** One more vmodel refers to the model; an existing one's `lu` rises to `lastUsed`. */
  private refer(record: ModelRecord, existed: boolean, lastUsed: number): void {
    record.refs += 1;
    if (existed) record.lu = Math.max(record.lu, lastUsed);
  }

  private hasLoadedCopy(modelId: string, record: ModelRecord | undefined): boolean {
    return [...(record?.instanceIds.keys() ?? [])].some((i) => !this.mesh.loads.isLoading(modelId, i));
  }

  /** model-mesh switches at once to a target that is already loaded when the active model has one copy. */
  private switchesAtOnce(target: ModelRecord, active: ModelRecord | undefined): boolean {
    return target.instanceIds.size > 0 && active?.instanceIds.size === 1;
  }

  private answer(
    vModelId: string,
    vmodel: VModelRecord,
    placement: Placement,
    waits: boolean,
  ): Reply<VModelStatusInfo> {
    const answer = this.mesh.vmodelStatus(vmodel);
    if (placement.kind === "nowhere") {
      answer.activeModelStatus = placementFailure(placement.message);
      return answer;
    }
    if (placement.kind === "loading" && waits) {
      return new Deferred(placement.load, (outcome) => this.waited(vModelId, outcome));
    }
    return answer;
  }

  /** The vmodel after the load or transition a `sync` call waited for. */
  private waited(vModelId: string, outcome: LoadOutcome): VModelStatusInfo {
    const vmodel = this.mesh.store.vmodel(vModelId);
    if (vmodel === undefined) return vmodelNotFound();
    const answer = this.mesh.vmodelStatus(vmodel);
    if (answer.targetModelStatus) answer.targetModelStatus = afterWait(answer.targetModelStatus, outcome);
    else if (answer.activeModelStatus)
      answer.activeModelStatus = afterWait(answer.activeModelStatus, outcome);
    return answer;
  }
}

/** `wait`, or a cancelled outcome after `ms` (the call then answers the state at that time). */
function withTimeout(wait: Promise<LoadOutcome>, ms: number): Promise<LoadOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<LoadOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "cancelled" }), ms);
  });
  return Promise.race([wait, timeout]).finally(() => clearTimeout(timer));
}
