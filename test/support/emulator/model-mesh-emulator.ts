/**
 * TEST INFRASTRUCTURE — never shipped, never a data plane. An emulator of model-mesh's management API for
 * integration tests and the local sandbox: it serves `mmesh.ModelMesh` over real gRPC on loopback and on a Unix
 * socket (which the test host's relay forwards to, see `exposeEmulator`) and keeps its
 * state where model-mesh does, in etcd under `<servicePrefix>/{registry,vmodels}/` with model-mesh's record
 * fields, so the controller's registry watcher sees real events. Placement follows the runtimes' `MM_LABELS` and
 * type constraints; a "load" checks that the model path exists in a local model store and takes `loadTimeMs`.
 * One emulator stands for the ModelMesh of one namespace.
 */
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Etcd3 } from "etcd3";
import {
  ModelStatusInfo_ModelCopyInfoSchema as CopyInfoSchema,
  type DeleteVModelRequest,
  DeleteVModelResponseSchema,
  type EnsureLoadedRequest,
  type GetStatusRequest,
  type GetVModelStatusRequest,
  ModelMesh,
  ModelStatusInfo_ModelStatus as ModelStatus,
  type ModelStatusInfo,
  ModelStatusInfoSchema,
  type RegisterModelRequest,
  type SetVModelRequest,
  type UnregisterModelRequest,
  UnregisterModelResponseSchema,
  VModelStatusInfo_VModelStatus as VModelStatus,
  type VModelStatusInfo,
  VModelStatusInfoSchema,
} from "../../../src/mesh/gen/mmesh/model-mesh_pb.js";
import { grpcServiceDefinition } from "../../../src/mesh/grpc-service.js";
import { REGISTRY_TABLE, VMODELS_TABLE } from "../../../src/mesh/registry-watcher.js";
import { createLogger } from "../../../src/runtime/logging.js";
import { type LoadTime, sampleLoadTime } from "./load-time.js";
import { RecordCache } from "./record-cache.js";
import {
  inMemberOrder,
  type JsonRecord,
  members,
  num,
  parseRecord,
  serializeRecord,
  text,
} from "./records.js";
import { type ClusterView, type EmulatedInstance, eligibleInstances, RuntimeDirectory } from "./runtimes.js";

export interface ModelMeshEmulatorOptions {
  readonly kubeConfig: KubeConfig;
  /** The namespace whose runtimes this mesh runs on. */
  readonly namespace: string;
  readonly serviceName?: string;
  readonly etcd: Etcd3;
  /** `<rp>/mm/<service>`, as the controller computes it from the etcd Secret. */
  readonly servicePrefix: string;
  /** Model paths resolve inside this directory; a missing path fails the load. */
  readonly modelsDir: string;
  /** Milliseconds per load, fixed or a uniform range; 0 by default. */
  readonly loadTimeMs?: LoadTime;
  /** How often runtime readiness is re-read from the API server. */
  readonly refreshMs?: number;
  /** Default 0: any free loopback port. */
  readonly port?: number;
  /** Called as each `setVModel` request arrives, before it is processed (benchmarks time spec changes with it). */
  readonly onSetVModel?: (request: SetVModelRequest) => void;
}

/** Thrown inside a handler to answer with a gRPC status. */
class MeshStatus extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

const HOUR_MS = 3_600_000;
/** model-mesh's member order of its records (`ModelRecord`, `VModelRecord`), as the recordings show it. */
const MEMBER_ORDER: Record<string, readonly string[]> = {
  [REGISTRY_TABLE]: ["type", "encKey", "mPath", "autoDel", "instanceIds", "failedIn", "fails", "refs", "lu"],
  [VMODELS_TABLE]: ["o", "amid", "tmid", "failed"],
};
/** model-mesh's default owner for vmodels created without one, as modelmesh-serving configures it. */
const DEFAULT_OWNER = "ksp";

/** How a load ended; `cancelled` when its model or copy went away first. */
type LoadOutcome =
  | { readonly kind: "loaded" | "cancelled" }
  | { readonly kind: "failed"; readonly message: string };

interface Placement {
  readonly modelId: string;
  readonly instance: string;
  readonly timer: NodeJS.Timeout;
  readonly outcome: Promise<LoadOutcome>;
  readonly settle: (outcome: LoadOutcome) => void;
}

/** model-mesh's answer to the call that waited for a failed load carries the exception's class name. */
const WAITED_FAILURE_PREFIX = "io.grpc.StatusRuntimeException: ";

/** An answer built once a load has ended, outside the exclusive section so that the wait holds nothing up. */
class AfterLoad<Res> {
  constructor(
    readonly load: Promise<LoadOutcome>,
    readonly answer: (outcome: LoadOutcome) => Res,
  ) {}
}

export class ModelMeshEmulator {
  private readonly log = createLogger("test.ModelMeshEmulator");
  private readonly runtimes: RuntimeDirectory;
  private readonly records: RecordCache;
  private readonly server = new Server();
  private readonly loading = new Map<string, Placement>();
  /** Models that found no instance to load on: model-mesh's "no running instances" failure. */
  private readonly placementFailures = new Map<string, { message: string; time: number }>();
  /** Target model id → vmodels transitioning to it, so a finished load need not scan every vmodel. */
  private readonly transitionsTo = new Map<string, Set<string>>();
  private view: ClusterView = { instances: [], requiredLabels: () => [] };
  private queue: Promise<unknown> = Promise.resolve();
  private refreshTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  port = 0;
  /** Unix socket the emulator also serves on; the test host's relay forwards to it. */
  readonly socketPath = path.join(
    os.tmpdir(),
    `mms-emulator-${process.pid}-${randomBytes(4).toString("hex")}.sock`,
  );

  private constructor(private readonly options: ModelMeshEmulatorOptions) {
    this.records = new RecordCache(options.etcd, `${options.servicePrefix}/`, this.log);
    this.runtimes = new RuntimeDirectory(
      options.kubeConfig,
      options.namespace,
      options.serviceName ?? "modelmesh-serving",
    );
  }

  static async start(options: ModelMeshEmulatorOptions): Promise<ModelMeshEmulator> {
    const emulator = new ModelMeshEmulator(options);
    await emulator.listen();
    return emulator;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    for (const placement of this.loading.values()) {
      clearTimeout(placement.timer);
      placement.settle({ kind: "cancelled" });
    }
    await this.queue.catch(() => undefined);
    await this.records.stop();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    rmSync(this.socketPath, { force: true });
  }

  private async listen(): Promise<void> {
    const handle =
      <Req, Res>(fn: (request: Req) => Promise<Res | AfterLoad<Res>>) =>
      (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
        this.exclusive(() => fn(call.request))
          .then((reply) =>
            reply instanceof AfterLoad ? reply.load.then((outcome) => reply.answer(outcome)) : reply,
          )
          .then(
            (response) => callback(null, response),
            (error: unknown) => {
              if (error instanceof MeshStatus) callback({ code: error.code, details: error.message });
              else {
                this.log.error({ error: String(error) }, "emulator request failed");
                callback({ code: status.INTERNAL, details: String(error) });
              }
            },
          );
      };
    this.server.addService(grpcServiceDefinition(ModelMesh), {
      registerModel: handle((r: RegisterModelRequest) => this.registerModel(r)),
      unregisterModel: handle((r: UnregisterModelRequest) => this.unregisterModel(r)),
      getModelStatus: handle((r: GetStatusRequest) => this.getModelStatus(r.modelId)),
      ensureLoaded: handle((r: EnsureLoadedRequest) => this.ensureLoadedCall(r)),
      setVModel: (
        call: ServerUnaryCall<SetVModelRequest, VModelStatusInfo>,
        callback: sendUnaryData<VModelStatusInfo>,
      ) => {
        this.options.onSetVModel?.(call.request);
        handle((r: SetVModelRequest) => this.setVModel(r))(call, callback);
      },
      deleteVModel: handle((r: DeleteVModelRequest) => this.deleteVModel(r)),
      getVModelStatus: handle((r: GetVModelStatusRequest) => this.getVModelStatus(r)),
    });
    const bind = (host: string, port: number) =>
      new Promise<number>((resolve, reject) =>
        this.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
    this.port = await bind("127.0.0.1", this.options.port ?? 0);
    await new Promise<void>((resolve, reject) =>
      this.server.bindAsync(`unix:${this.socketPath}`, ServerCredentials.createInsecure(), (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    await this.records.start();
    await this.exclusive(async () => {
      for (const [vmodelId, vmodel] of this.readAll(VMODELS_TABLE)) this.noteTransition(vmodelId, vmodel);
      await this.refresh();
    });
    this.scheduleRefresh();
  }

  /**
   * Resolves once the emulator's view of the runtime instances satisfies `test`. Model-mesh learns of runtime pods
   * a little after the API server does; tests wait here instead of sleeping.
   */
  async waitForInstances(
    test: (instances: readonly EmulatedInstance[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test(this.view.instances)) {
      if (Date.now() > deadline)
        throw new Error("the emulator did not see the expected runtime instances in time");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** One operation at a time, like model-mesh's transactions on one registry. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private scheduleRefresh(): void {
    if (this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      // Read the runtimes outside the exclusive section, so a slow API server does not hold up RPCs.
      this.runtimes
        .view()
        .then((view) => this.exclusive(() => this.refresh(view)))
        .catch((error: unknown) => this.log.warn({ error: String(error) }, "could not read the runtimes"))
        .finally(() => this.scheduleRefresh());
    }, this.options.refreshMs ?? 500);
  }

  // ---- etcd records -------------------------------------------------------------------------------------------

  private key(table: string, id: string): string {
    return `${this.options.servicePrefix}/${table}${id}`;
  }

  private read(table: string, id: string): JsonRecord | undefined {
    return this.records.get(`${table}${id}`);
  }

  /** `read`, going to etcd when the cache has not seen the record yet (see `RecordCache.getOrReadIfAbsent`). */
  private readStrong(table: string, id: string): Promise<JsonRecord | undefined> {
    return this.records.getOrReadIfAbsent(`${table}${id}`);
  }

  private readAll(table: string): Map<string, JsonRecord> {
    return this.records.all(table);
  }

  /** Writes and deletes in one etcd transaction, as model-mesh does for vmodel changes. */
  private async commit(
    puts: Array<[table: string, id: string, JsonRecord]>,
    deletes: Array<[string, string]> = [],
  ) {
    const ops = [
      ...puts.map(([table, id, record]) =>
        this.options.etcd
          .put(this.key(table, id))
          .value(serializeRecord(inMemberOrder(record, MEMBER_ORDER[table] ?? []))),
      ),
      ...deletes.map(([table, id]) => this.options.etcd.delete().key(this.key(table, id))),
    ];
    if (ops.length === 0) return;
    const response = await this.options.etcd
      .if(this.key(VMODELS_TABLE, ""), "Mod", ">", -1)
      .then(...ops)
      .commit();
    const revision = BigInt(response.header.revision);
    // Cached as read back from etcd: members with default values are not stored.
    for (const [table, id, record] of puts)
      this.records.applyCommitted(`${table}${id}`, revision, parseRecord(serializeRecord(record)));
    for (const [table, id] of deletes) this.records.applyCommitted(`${table}${id}`, revision, undefined);
  }

  // ---- runtimes -----------------------------------------------------------------------------------------------

  /** Re-reads the runtimes; copies on instances that went away vanish, stuck loads are retried on new ones. */
  private async refresh(view?: ClusterView): Promise<void> {
    if (this.stopped) return;
    const before = new Set(this.view.instances.filter((i) => i.ready).map((i) => i.id));
    this.view = view ?? (await this.runtimes.view());
    const ready = new Set(this.view.instances.filter((i) => i.ready).map((i) => i.id));
    const lost = [...before].filter((id) => !ready.has(id));
    const gained = [...ready].some((id) => !before.has(id));
    if (lost.length > 0) {
      for (const [modelId, record] of this.readAll(REGISTRY_TABLE)) {
        const copies = members(record, "instanceIds");
        if (!lost.some((id) => id in copies)) continue;
        for (const id of lost) delete copies[id];
        const placement = this.loading.get(modelId);
        if (placement && lost.includes(placement.instance)) this.cancelLoad(modelId);
        await this.commit([[REGISTRY_TABLE, modelId, record]]);
      }
    }
    if (gained) {
      for (const modelId of [...this.placementFailures.keys()]) {
        const record = this.read(REGISTRY_TABLE, modelId);
        if (record) await this.ensureLoaded(modelId, record);
      }
    }
  }

  // ---- loading ------------------------------------------------------------------------------------------------

  private copies(record: JsonRecord): string[] {
    return Object.keys(members(record, "instanceIds"));
  }

  /**
   * Starts a load unless a copy exists or is loading; records a placement failure when nowhere fits. Returns the
   * load in progress (started now or earlier: concurrent requests share one load), if any.
   */
  private async ensureLoaded(modelId: string, record: JsonRecord): Promise<Placement | undefined> {
    const inProgress = this.loading.get(modelId);
    if (inProgress) return inProgress;
    if (this.copies(record).length > 0) return undefined;
    const type = text(record, "type");
    const eligible = eligibleInstances(this.view, type);
    if (typeof eligible === "string") {
      this.placementFailures.set(modelId, { message: eligible, time: Date.now() });
      return undefined;
    }
    this.placementFailures.delete(modelId);
    const failed = members(record, "failedIn");
    const instance = eligible.find((i) => !(i.id in failed));
    if (!instance) return undefined; // every eligible instance failed it already: stays LOADING_FAILED
    members(record, "instanceIds")[instance.id] = Date.now();
    await this.commit([[REGISTRY_TABLE, modelId, record]]);
    const timer = setTimeout(
      () => {
        this.exclusive(() => this.finishLoad(modelId, instance.id)).catch((error: unknown) =>
          this.log.error({ modelId, error: String(error) }, "emulated load failed to complete"),
        );
      },
      sampleLoadTime(this.options.loadTimeMs ?? 0),
    );
    let settle: (outcome: LoadOutcome) => void = () => undefined;
    const outcome = new Promise<LoadOutcome>((resolve) => {
      settle = resolve;
    });
    const placement = { modelId, instance: instance.id, timer, outcome, settle };
    this.loading.set(modelId, placement);
    return placement;
  }

  private missingPathMessage(modelPath: string): string | undefined {
    const store = path.resolve(this.options.modelsDir);
    const resolved = path.resolve(store, modelPath);
    const inside = resolved === store || resolved.startsWith(store + path.sep);
    if (modelPath !== "" && inside && existsSync(resolved)) return undefined;
    return `Failed to pull model from storage due to error: model path '${modelPath}' does not exist in the model store`;
  }

  /**
   * Ends a load. Like model-mesh, a successful load writes nothing: the copy's `instanceIds` entry, written at the
   * load's start, stays as it is. A failure replaces it with `failedIn` and `fails`.
   */
  private async finishLoad(modelId: string, instance: string): Promise<void> {
    const placement = this.loading.get(modelId);
    if (!placement || placement.instance !== instance || this.stopped) return;
    this.loading.delete(modelId);
    const record = this.read(REGISTRY_TABLE, modelId);
    if (!record || !(instance in members(record, "instanceIds"))) {
      placement.settle({ kind: "cancelled" });
      return;
    }
    const problem = this.missingPathMessage(text(record, "mPath"));
    try {
      if (problem) {
        delete members(record, "instanceIds")[instance];
        members(record, "failedIn")[instance] = Date.now();
        members(record, "fails")[instance] = { msg: problem };
        await this.commit([[REGISTRY_TABLE, modelId, record]]);
      }
      await this.advanceTransitions(modelId, problem !== undefined);
    } finally {
      placement.settle(problem ? { kind: "failed", message: problem } : { kind: "loaded" });
    }
  }

  private cancelLoad(modelId: string): void {
    const placement = this.loading.get(modelId);
    if (!placement) return;
    clearTimeout(placement.timer);
    this.loading.delete(modelId);
    placement.settle({ kind: "cancelled" });
  }

  private noteTransition(vmodelId: string, vmodel: JsonRecord): void {
    const target = text(vmodel, "tmid");
    if (target === "" || target === text(vmodel, "amid")) return;
    const vmodels = this.transitionsTo.get(target) ?? new Set<string>();
    vmodels.add(vmodelId);
    this.transitionsTo.set(target, vmodels);
  }

  /** Vmodels waiting for this model switch to it once loaded, or are marked failed. */
  private async advanceTransitions(modelId: string, failed: boolean): Promise<void> {
    const candidates = this.transitionsTo.get(modelId);
    if (!candidates) return;
    for (const vmodelId of [...candidates]) {
      const vmodel = this.read(VMODELS_TABLE, vmodelId);
      if (!vmodel || text(vmodel, "tmid") !== modelId || text(vmodel, "amid") === modelId) {
        candidates.delete(vmodelId);
        continue;
      }
      if (failed) {
        vmodel.failed = true;
        await this.commit([[VMODELS_TABLE, vmodelId, vmodel]]);
        continue;
      }
      const oldActive = text(vmodel, "amid");
      vmodel.amid = modelId;
      vmodel.failed = false;
      const change = await this.deref(oldActive);
      await this.commit([[VMODELS_TABLE, vmodelId, vmodel], ...change.puts], change.deletes);
      candidates.delete(vmodelId);
    }
    if (candidates.size === 0) this.transitionsTo.delete(modelId);
  }

  /** One reference less; an auto-delete model without references goes away. */
  private async deref(modelId: string) {
    const puts: Array<[string, string, JsonRecord]> = [];
    const deletes: Array<[string, string]> = [];
    const record = this.read(REGISTRY_TABLE, modelId);
    if (!record) return { puts, deletes };
    record.refs = Math.max(0, num(record, "refs") - 1);
    if (record.refs === 0 && record.autoDel === true) {
      deletes.push([REGISTRY_TABLE, modelId]);
      this.forget(modelId);
    } else {
      puts.push([REGISTRY_TABLE, modelId, record]);
    }
    return { puts, deletes };
  }

  private forget(modelId: string): void {
    this.cancelLoad(modelId);
    this.placementFailures.delete(modelId);
  }

  /** The status once a waited-for load ended; a failure shows as the exception the waiting call received. */
  private afterWait(status: ModelStatusInfo, outcome: LoadOutcome): ModelStatusInfo {
    if (outcome.kind === "failed" && status.status === ModelStatus.LOADING_FAILED) {
      status.errors = [`${WAITED_FAILURE_PREFIX}${outcome.message}`, ...status.errors.slice(1)];
    }
    return status;
  }

  // ---- status -------------------------------------------------------------------------------------------------

  private modelStatus(modelId: string, record: JsonRecord | undefined): ModelStatusInfo {
    if (!record) return create(ModelStatusInfoSchema, { status: ModelStatus.NOT_FOUND });
    const copies = members(record, "instanceIds");
    const failedIn = members(record, "failedIn");
    const fails = members(record, "fails");
    const failures = Object.entries(failedIn)
      .map(([location, time]) => {
        const detail = fails[location];
        const msg =
          typeof detail === "object" && detail !== null && !Array.isArray(detail) ? detail.msg : undefined;
        return { location, time: Number(time), message: typeof msg === "string" ? msg : "" };
      })
      .sort((a, b) => b.time - a.time);
    const copyInfos = [
      ...Object.entries(copies).map(([location, time]) =>
        create(CopyInfoSchema, { location, copyStatus: ModelStatus.UNKNOWN, time: BigInt(Number(time)) }),
      ),
      ...failures.map((f) =>
        create(CopyInfoSchema, {
          location: f.location,
          copyStatus: ModelStatus.LOADING_FAILED,
          time: BigInt(f.time),
        }),
      ),
    ].sort((a, b) => (b.time > a.time ? 1 : b.time < a.time ? -1 : 0));
    const placementFailure = this.placementFailures.get(modelId);
    const errors = [
      ...(placementFailure ? [placementFailure.message] : []),
      ...failures.map((f) => f.message),
    ];
    let state: ModelStatus;
    if (Object.keys(copies).length > 0)
      state = this.loading.has(modelId) ? ModelStatus.LOADING : ModelStatus.LOADED;
    else if (errors.length > 0) state = ModelStatus.LOADING_FAILED;
    else state = ModelStatus.NOT_LOADED;
    return create(ModelStatusInfoSchema, {
      status: state,
      errors: state === ModelStatus.LOADED ? [] : errors,
      modelCopyInfos: copyInfos,
    });
  }

  private vmodelStatus(vmodel: JsonRecord): VModelStatusInfo {
    const activeId = text(vmodel, "amid");
    const targetId = text(vmodel, "tmid") || activeId;
    const active = this.modelStatus(activeId, this.read(REGISTRY_TABLE, activeId));
    let target: ModelStatusInfo | undefined;
    let state = VModelStatus.DEFINED;
    if (targetId !== activeId) {
      target = this.modelStatus(targetId, this.read(REGISTRY_TABLE, targetId));
      const failed = vmodel.failed === true;
      state = failed ? VModelStatus.TRANSITION_FAILED : VModelStatus.TRANSITIONING;
      if (!(failed && target.status === ModelStatus.LOADING_FAILED)) target.status = ModelStatus.LOADING;
    }
    return create(VModelStatusInfoSchema, {
      status: state,
      activeModelId: activeId,
      targetModelId: targetId,
      activeModelStatus: active,
      targetModelStatus: target,
      owner: text(vmodel, "o"),
    });
  }

  // ---- API ----------------------------------------------------------------------------------------------------

  private newModelRecord(
    info: { type: string; path: string; key: string },
    loadNow: boolean,
    autoDel: boolean,
  ) {
    if (!info.type) throw new MeshStatus(status.INVALID_ARGUMENT, "must provide non-empty model type");
    const record: JsonRecord = { type: info.type, lu: Date.now() - (loadNow ? 1 : 6) * HOUR_MS, autoDel };
    if (info.path) record.mPath = info.path;
    if (info.key) record.encKey = info.key;
    return record;
  }

  private sameAttributes(record: JsonRecord, info: { type: string; path: string; key: string }): boolean {
    return (
      text(record, "type") === info.type &&
      text(record, "mPath") === info.path &&
      text(record, "encKey") === info.key
    );
  }

  private async registerModel(
    request: RegisterModelRequest,
  ): Promise<ModelStatusInfo | AfterLoad<ModelStatusInfo>> {
    if (!request.modelId) throw new MeshStatus(status.INVALID_ARGUMENT, "must provide non-empty modelId");
    const info = request.modelInfo ?? { type: "", path: "", key: "" };
    let record = this.read(REGISTRY_TABLE, request.modelId);
    if (record && !this.sameAttributes(record, info)) {
      throw new MeshStatus(status.ALREADY_EXISTS, "Model already exists with different attribute values");
    }
    if (!record) {
      record = this.newModelRecord(info, request.loadNow, false);
      await this.commit([[REGISTRY_TABLE, request.modelId, record]]);
    }
    const load = request.loadNow ? await this.ensureLoaded(request.modelId, record) : undefined;
    if (load && request.sync)
      return new AfterLoad(load.outcome, (outcome) => this.waitedModelStatus(request.modelId, outcome));
    return this.modelStatus(request.modelId, record);
  }

  private waitedModelStatus(modelId: string, outcome: LoadOutcome): ModelStatusInfo {
    return this.afterWait(this.modelStatus(modelId, this.read(REGISTRY_TABLE, modelId)), outcome);
  }

  private async unregisterModel(request: UnregisterModelRequest) {
    const record = this.read(REGISTRY_TABLE, request.modelId);
    if (record && num(record, "refs") > 0) {
      throw new MeshStatus(status.FAILED_PRECONDITION, `Model ${request.modelId} has referents`);
    }
    if (record) {
      this.forget(request.modelId);
      await this.commit([], [[REGISTRY_TABLE, request.modelId]]);
    }
    return create(UnregisterModelResponseSchema, {});
  }

  private async getModelStatus(modelId: string): Promise<ModelStatusInfo> {
    return this.modelStatus(modelId, this.read(REGISTRY_TABLE, modelId));
  }

  private async ensureLoadedCall(
    request: EnsureLoadedRequest,
  ): Promise<ModelStatusInfo | AfterLoad<ModelStatusInfo>> {
    const record = this.read(REGISTRY_TABLE, request.modelId);
    if (!record) throw new MeshStatus(status.NOT_FOUND, "model not found");
    const load = await this.ensureLoaded(request.modelId, record);
    if (load && request.sync)
      return new AfterLoad(load.outcome, (outcome) => this.waitedModelStatus(request.modelId, outcome));
    return this.modelStatus(request.modelId, record);
  }

  private async setVModel(
    request: SetVModelRequest,
  ): Promise<VModelStatusInfo | AfterLoad<VModelStatusInfo>> {
    const { vModelId, targetModelId } = request;
    if (!vModelId || !targetModelId) {
      throw new MeshStatus(status.INVALID_ARGUMENT, "must provide vModelId and targetModelId");
    }
    let vmodel = this.read(VMODELS_TABLE, vModelId);
    if (vmodel && request.owner && text(vmodel, "o") !== request.owner) {
      throw new MeshStatus(status.ALREADY_EXISTS, `VModel ${vModelId} already exists with a different owner`);
    }
    if (!vmodel && request.updateOnly) throw new MeshStatus(status.NOT_FOUND, `VModel ${vModelId} not found`);
    const expected = request.expectedTargetModelId;
    if (expected && text(vmodel ?? {}, "tmid") !== expected && !(expected === targetModelId && !vmodel)) {
      throw new MeshStatus(status.FAILED_PRECONDITION, `VModel ${vModelId} target is not ${expected}`);
    }
    let target = this.read(REGISTRY_TABLE, targetModelId);
    // Like model-mesh, a call that changes nothing writes nothing (so it causes no registry event).
    const unchanged = vmodel !== undefined && target !== undefined && text(vmodel, "tmid") === targetModelId;
    if (!target) {
      if (!request.modelInfo)
        throw new MeshStatus(status.NOT_FOUND, `Target model ${targetModelId} not found`);
      target = this.newModelRecord(request.modelInfo, request.loadNow, request.autoDeleteTargetModel);
    } else if (request.modelInfo && !this.sameAttributes(target, request.modelInfo)) {
      throw new MeshStatus(status.ALREADY_EXISTS, "Model already exists with different attribute values");
    }

    const puts: Array<[string, string, JsonRecord]> = [];
    const deletes: Array<[string, string]> = [];
    const take = (change: { puts: typeof puts; deletes: typeof deletes }) => {
      puts.push(...change.puts);
      deletes.push(...change.deletes);
    };
    if (!vmodel) {
      vmodel = { o: request.owner || DEFAULT_OWNER, amid: targetModelId, tmid: targetModelId };
      target.refs = num(target, "refs") + 1;
    } else if (text(vmodel, "tmid") !== targetModelId) {
      const activeId = text(vmodel, "amid");
      const pendingId = text(vmodel, "tmid");
      if (pendingId && pendingId !== activeId && pendingId !== targetModelId)
        take(await this.deref(pendingId));
      target.refs = num(target, "refs") + 1;
      const active = activeId === targetModelId ? target : this.read(REGISTRY_TABLE, activeId);
      const activeLoaded =
        active !== undefined && this.copies(active).length > 0 && !this.loading.has(activeId);
      vmodel.tmid = targetModelId;
      vmodel.failed = false;
      if (request.force || !activeLoaded) {
        if (activeId !== targetModelId) take(await this.deref(activeId));
        vmodel.amid = targetModelId;
      }
    }
    if (!unchanged) {
      puts.unshift([REGISTRY_TABLE, targetModelId, target]);
      puts.push([VMODELS_TABLE, vModelId, vmodel]);
      await this.commit(puts, deletes);
      this.noteTransition(vModelId, vmodel);
    }

    const transitioning = text(vmodel, "amid") !== text(vmodel, "tmid");
    const load =
      request.loadNow || transitioning ? await this.ensureLoaded(targetModelId, target) : undefined;
    if (load && request.sync) {
      return new AfterLoad(load.outcome, (outcome) => this.waitedVModelStatus(vModelId, outcome));
    }
    return this.vmodelStatus(vmodel);
  }

  /** A vmodel's status after the load a `sync` call waited for (a transition has switched by then). */
  private waitedVModelStatus(vModelId: string, outcome: LoadOutcome): VModelStatusInfo {
    const vmodel = this.read(VMODELS_TABLE, vModelId);
    if (!vmodel) return create(VModelStatusInfoSchema, {});
    const answer = this.vmodelStatus(vmodel);
    if (answer.targetModelStatus)
      answer.targetModelStatus = this.afterWait(answer.targetModelStatus, outcome);
    else if (answer.activeModelStatus)
      answer.activeModelStatus = this.afterWait(answer.activeModelStatus, outcome);
    return answer;
  }

  private async deleteVModel(request: DeleteVModelRequest) {
    const vmodel = await this.readStrong(VMODELS_TABLE, request.vModelId);
    if (vmodel && (!request.owner || text(vmodel, "o") === request.owner)) {
      const ids = new Set([text(vmodel, "amid"), text(vmodel, "tmid")].filter((id) => id !== ""));
      const puts: Array<[string, string, JsonRecord]> = [];
      const deletes: Array<[string, string]> = [[VMODELS_TABLE, request.vModelId]];
      for (const id of ids) {
        const change = await this.deref(id);
        puts.push(...change.puts);
        deletes.push(...change.deletes);
      }
      await this.commit(puts, deletes);
    }
    return create(DeleteVModelResponseSchema, {});
  }

  private async getVModelStatus(request: GetVModelStatusRequest): Promise<VModelStatusInfo> {
    const vmodel = await this.readStrong(VMODELS_TABLE, request.vModelId);
    if (!vmodel || (request.owner && text(vmodel, "o") !== request.owner)) {
      return create(VModelStatusInfoSchema, {});
    }
    return this.vmodelStatus(vmodel);
  }
}
