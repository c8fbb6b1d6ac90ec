/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. A vmodel moving from its active model to a new target, as
 * model-mesh's leader drives it (`PendingTransition`): it loads the target with the active model's `lu`; once the
 * target is loaded, ONE transaction sets `amid = tmid` and drops the reference to the old active model (deleting
 * it when it is auto-delete). When the target's load fails, the vmodel gets `"failed": true` one revision before
 * the target's record gets its failure, and stays TRANSITION_FAILED (failures do not expire here). A failed
 * transition is tried again when its target's record changes through a placement (model-mesh's "stuck" vmodels,
 * re-processed on such a change: a target that could not be placed, placed later by an `ensureLoaded`).
 */
import type { Logger } from "../../../src/controller-runtime/logging.js";
import type { LoadOutcome } from "./mesh-replies.js";
import type { MeshState } from "./mesh-state.js";
import { dropReference } from "./references.js";
import type { RegistryOp } from "./registry-store.js";

const HOUR_MS = 3_600_000;

export class VModelTransitions {
  constructor(
    private readonly mesh: MeshState,
    private readonly log: Logger,
  ) {
    mesh.loads.beforeFailure = (modelId) => this.markFailed(modelId);
    mesh.placed = (modelId) => this.retryStuck(modelId);
  }

  /** Begins again the failed transitions whose target is `modelId` (in the exclusive section). */
  private async retryStuck(modelId: string): Promise<void> {
    const stuck = [...this.mesh.store.scanVModels()].filter(
      ([, vmodel]) => vmodel.failed && vmodel.target === modelId && vmodel.active !== modelId,
    );
    for (const [id] of stuck) await this.begin(id);
  }

  /**
   * Drives the vmodel's transition: places the target (in the exclusive section, where this is called) and
   * returns `done`, settled with the target's load outcome once the vmodel switched (or failed).
   */
  async begin(vModelId: string): Promise<{ readonly done: Promise<LoadOutcome> }> {
    const placed = await this.place(vModelId);
    if (placed === undefined) return { done: Promise.resolve({ kind: "cancelled" }) };
    const done = placed.load
      .then(async (outcome) => {
        await this.mesh.exclusive.run(() => this.complete(vModelId, placed.target, outcome));
        return outcome;
      })
      .catch((error: unknown): LoadOutcome => {
        this.log.error({ vModelId, error: String(error) }, "emulated transition did not complete");
        return { kind: "cancelled" };
      });
    return { done };
  }

  /** Resumes the transitions an earlier model-mesh left pending (in the exclusive section). */
  async resumeAll(): Promise<void> {
    for (const [id, vmodel] of this.mesh.store.vmodels()) {
      if (vmodel.target !== vmodel.active && !vmodel.failed) await this.begin(id);
    }
  }

  private async place(vModelId: string): Promise<{ target: string; load: Promise<LoadOutcome> } | undefined> {
    const { store, loads } = this.mesh;
    const vmodel = store.vmodel(vModelId);
    const target = vmodel?.target;
    if (vmodel === undefined || target === undefined || target === vmodel.active) return undefined;
    const record = store.model(target);
    if (record === undefined) return undefined;
    const lastUsed = store.model(vmodel.active)?.lu ?? Date.now() - HOUR_MS;
    const placement = await loads.ensureCopy(target, record, this.mesh.view, lastUsed);
    switch (placement.kind) {
      case "loading":
        return { target, load: placement.load };
      case "loaded":
        return { target, load: Promise.resolve({ kind: "loaded" }) };
      default: {
        // Nowhere to load it, or it failed everywhere already: the leader marks the transition failed.
        this.mesh.commit(this.markFailed(target, vModelId));
        const message = placement.kind === "nowhere" ? placement.message : "";
        return { target, load: Promise.resolve({ kind: "failed", message }) };
      }
    }
  }

  private async complete(vModelId: string, target: string, outcome: LoadOutcome): Promise<void> {
    if (outcome.kind !== "loaded") return;
    const { store } = this.mesh;
    const vmodel = store.vmodel(vModelId);
    if (vmodel === undefined || vmodel.target !== target || vmodel.active === target) return;
    const previous = vmodel.active;
    vmodel.active = target;
    vmodel.failed = false;
    this.mesh.commit([
      { put: "vmodel", id: vModelId, record: vmodel },
      ...dropReference(previous, store.model(previous)),
    ]);
  }

  /** `failed: true` on the vmodels (or the one named) whose transition target is `modelId`. */
  private markFailed(modelId: string, only?: string): RegistryOp[] {
    const ops: RegistryOp[] = [];
    for (const [id, seen] of this.mesh.store.scanVModels()) {
      if (only !== undefined && id !== only) continue;
      if (seen.target !== modelId || seen.active === modelId || seen.failed) continue;
      const vmodel = this.mesh.store.vmodel(id);
      if (vmodel === undefined) continue;
      vmodel.failed = true;
      ops.push({ put: "vmodel", id, record: vmodel });
    }
    return ops;
  }
}
