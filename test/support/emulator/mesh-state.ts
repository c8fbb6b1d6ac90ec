/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. What the emulated RPCs share: the registry, the loads in
 * progress, the current view of the runtime instances, and the exclusive section registry changes run in.
 */
import type {
  ModelStatusInfo,
  VModelStatusInfo,
} from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { DataplaneApiConfig } from "./dataplane-config.js";
import type { Exclusive } from "./exclusive.js";
import type { ModelLoads } from "./model-loads.js";
import type { VModelRecord } from "./registry-records.js";
import type { RegistryOp, RegistryStore } from "./registry-store.js";
import type { ClusterView } from "./runtimes.js";
import { modelStatusInfo, vmodelStatusInfo } from "./status-answers.js";

export class MeshState {
  view: ClusterView = { instances: [], requiredLabels: () => [], dataplane: DataplaneApiConfig.NONE };
  /**
   * A model's record changed through a placement: model-mesh re-processes the transitions parked ("stuck") on it
   * as their target (the vmodel transitions set this).
   */
  placed: (modelId: string) => Promise<void> = async () => undefined;

  constructor(
    readonly store: RegistryStore,
    readonly loads: ModelLoads,
    readonly exclusive: Exclusive,
  ) {}

  /** Commits `ops` (`RegistryStore.commit`); a deleted model's load stops (model-mesh unloads what leaves the registry). */
  commit(ops: readonly RegistryOp[]): void {
    this.store.commit(ops);
    for (const op of ops) if ("delete" in op && op.delete === "model") this.loads.cancel(op.id);
  }

  modelStatus(modelId: string): ModelStatusInfo {
    return modelStatusInfo(modelId, this.store.cachedModel(modelId), this.isLoading);
  }

  vmodelStatus(vmodel: Readonly<VModelRecord>): VModelStatusInfo {
    return vmodelStatusInfo(vmodel, (id) => this.store.cachedModel(id), this.isLoading);
  }

  private readonly isLoading = (modelId: string, instance: string) => this.loads.isLoading(modelId, instance);
}
