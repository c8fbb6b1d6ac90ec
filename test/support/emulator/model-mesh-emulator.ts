/**
 * TEST INFRASTRUCTURE — never shipped, never a data plane. An emulator of model-mesh's management API for
 * integration tests and the local sandbox: it serves `mmesh.ModelMesh` over real gRPC on loopback and on a Unix
 * socket (which the test host's relay forwards to, see `exposeEmulator`) and keeps its state where model-mesh does,
 * in etcd under `<servicePrefix>/{registry,vmodels}/` with model-mesh's records, so the controller's registry
 * watcher sees real events. It behaves as the real model-mesh was recorded doing
 * (test/fixtures/model-mesh-observed, test/integration/emulator-conformance.test.ts); what it leaves out is
 * listed in docs/decisions/0043-modelmesh-emulator-scope.md. One emulator stands for the model-mesh pods of one
 * namespace: one instance per ready replica of each runtime Deployment.
 *
 * This module is the emulator's life cycle: start-up (after an optional delay, like a restarting JVM), the view
 * of the runtime instances kept current (with the real runtimes behind them, when asked for), and the restart
 * behaviour of the real model-mesh: copies the registry lists from before are dropped, because a new process holds
 * none. Inference is served on the same gRPC port and, when asked for, on a REST port as rest-proxy serves it.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Server, ServerCredentials } from "@grpc/grpc-js";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Etcd3 } from "etcd3";
import { createLogger } from "../../../src/controller-runtime/logging.js";
import type {
  SetVModelRequest,
  VModelStatusInfo,
} from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import type { MlserverProcess } from "../mlserver/index.js";
import { Exclusive } from "./exclusive.js";
import { meshServer } from "./grpc-surface.js";
import { InferenceApi } from "./inference-api.js";
import { addInferenceService } from "./inference-surface.js";
import type { LoadTime } from "./load-time.js";
import { MeshState } from "./mesh-state.js";
import { ModelApi } from "./model-api.js";
import { ModelLoads } from "./model-loads.js";
import { RegistryStore } from "./registry-store.js";
import { type RestSurface, startRestSurface } from "./rest-surface.js";
import { RuntimeServers, type RuntimeServersOptions } from "./runtime-servers.js";
import { type ClusterView, type EmulatedInstance, RuntimeDirectory } from "./runtimes.js";
import { VModelApi } from "./vmodel-api.js";
import { VModelTransitions } from "./vmodel-transitions.js";

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
  /** How long start-up takes before the gRPC port opens (the real model-mesh: 3.8 s after a restart). */
  readonly startupDelayMs?: number;
  /** How often runtime readiness is re-read from the API server. */
  readonly refreshMs?: number;
  /** Default 0: any free loopback port. */
  readonly port?: number;
  /** Real runtimes behind the instances of the runtimes they serve (MLServer); all are emulated without. */
  readonly runtimeServers?: RuntimeServersOptions;
  /** Serve KServe v2 REST on this loopback port (0: any free one), as rest-proxy does; no REST without. */
  readonly restPort?: number;
  /** Called as each `setVModel` request arrives, before it is processed (benchmarks time spec changes with it). */
  readonly onSetVModel?: (request: SetVModelRequest) => void;
  /** Called as each management call arrives, with its method (benchmarks count the mesh calls per load with it). */
  readonly onCall?: (method: string) => void;
  /** Called when a load has ended, loaded or failed (benchmarks time the controller's view of it). */
  readonly onLoadEnded?: (modelId: string, loaded: boolean) => void;
}

export class ModelMeshEmulator {
  private readonly log = createLogger("test.ModelMeshEmulator");
  private readonly runtimes: RuntimeDirectory;
  private readonly store: RegistryStore;
  private readonly exclusive: Exclusive;
  private readonly loads: ModelLoads;
  private readonly mesh: MeshState;
  private readonly transitions: VModelTransitions;
  private readonly server: Server;
  private readonly runtimeServers: RuntimeServers | undefined;
  private readonly inference: InferenceApi;
  private rest: RestSurface | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  port = 0;
  /** Unix socket the emulator also serves on; the test host's relay forwards to it. */
  readonly socketPath = path.join(
    os.tmpdir(),
    `mms-emulator-${process.pid}-${randomBytes(4).toString("hex")}.sock`,
  );

  private constructor(private readonly options: ModelMeshEmulatorOptions) {
    this.store = new RegistryStore(options.etcd, options.servicePrefix, this.log);
    this.exclusive = new Exclusive(() => this.store.written());
    this.runtimes = new RuntimeDirectory(
      options.kubeConfig,
      options.namespace,
      options.serviceName ?? "modelmesh-serving",
    );
    this.runtimeServers = options.runtimeServers && new RuntimeServers(options.runtimeServers, this.log);
    this.loads = new ModelLoads({
      store: this.store,
      exclusive: this.exclusive,
      loadTime: options.loadTimeMs ?? 0,
      modelsDir: options.modelsDir,
      log: this.log,
      ...(this.runtimeServers && { runtimes: this.runtimeServers }),
      ...(options.onLoadEnded && { onLoadEnded: options.onLoadEnded }),
    });
    this.mesh = new MeshState(this.store, this.loads, this.exclusive);
    this.transitions = new VModelTransitions(this.mesh, this.log);
    this.server = meshServer({
      models: new ModelApi(this.mesh),
      vmodels: new VModelApi(this.mesh, this.transitions),
      exclusive: this.exclusive,
      log: this.log,
      ...(options.onSetVModel === undefined ? {} : { onSetVModel: options.onSetVModel }),
      ...(options.onCall && { onCall: options.onCall }),
    });
    this.inference = new InferenceApi(this.mesh, this.runtimeServers);
    addInferenceService(this.server, this.inference, this.log);
  }

  static async start(options: ModelMeshEmulatorOptions): Promise<ModelMeshEmulator> {
    const emulator = new ModelMeshEmulator(options);
    await emulator.startUp();
    return emulator;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    await this.rest?.close();
    this.loads.stop();
    await this.exclusive.idle();
    await this.store.stop();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    await this.runtimeServers?.stop();
    rmSync(this.socketPath, { force: true });
  }

  /** The REST port, when the emulator serves REST. */
  get restPort(): number | undefined {
    return this.rest?.port;
  }

  /** The real runtime processes by instance id, once each has started (none without `runtimeServers`). */
  async runtimeProcesses(): Promise<ReadonlyMap<string, MlserverProcess>> {
    return (await this.runtimeServers?.processes()) ?? new Map();
  }

  /**
   * What `getVModelStatus` would answer now, read without queueing behind calls in progress: suites that compare
   * thousands of statuses with the mesh must not slow the mesh down while they measure it.
   */
  peekVModel(vModelId: string): VModelStatusInfo | undefined {
    const vmodel = this.store.cachedVModel(vModelId);
    return vmodel === undefined ? undefined : this.mesh.vmodelStatus(vmodel);
  }

  /** The instances the emulator currently sees. */
  get instances(): readonly EmulatedInstance[] {
    return this.mesh.view.instances;
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
    while (!test(this.mesh.view.instances)) {
      if (Date.now() > deadline)
        throw new Error("the emulator did not see the expected runtime instances in time");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async startUp(): Promise<void> {
    if ((this.options.startupDelayMs ?? 0) > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.options.startupDelayMs));
    }
    await this.store.start();
    this.mesh.view = await this.runtimes.view();
    this.runtimeServers?.follow(this.mesh.view.instances);
    await this.exclusive.run(async () => {
      await this.dropCopiesOfEarlierRun();
      await this.transitions.resumeAll();
    });
    const bind = (address: string) =>
      new Promise<number>((resolve, reject) =>
        this.server.bindAsync(address, ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
    this.port = await bind(`127.0.0.1:${this.options.port ?? 0}`);
    await bind(`unix:${this.socketPath}`);
    if (this.options.restPort !== undefined)
      this.rest = await startRestSurface(this.inference, this.options.restPort, this.log);
    this.scheduleRefresh();
  }

  /**
   * A model-mesh that starts holds no copy, so it rewrites every record that lists one without `instanceIds`
   * (`lu` unchanged); the models are NOT_LOADED until something loads them again.
   */
  private async dropCopiesOfEarlierRun(): Promise<void> {
    for (const [id, record] of this.store.models()) {
      if (record.instanceIds.size === 0) continue;
      record.instanceIds.clear();
      this.mesh.commit([{ put: "model", id, record }]);
    }
  }

  private scheduleRefresh(): void {
    if (this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      // Read the runtimes outside the exclusive section, so a slow API server does not hold up RPCs.
      this.runtimes
        .view()
        .then((view) => this.exclusive.run(() => this.refresh(view)))
        .catch((error: unknown) => this.log.warn({ error: String(error) }, "could not read the runtimes"))
        .finally(() => this.scheduleRefresh());
    }, this.options.refreshMs ?? 500);
  }

  /**
   * Takes a new view of the instances. Copies on instances that went away (scaled down, not ready, replaced by a
   * rollout) are dropped from their records; like model-mesh moving a departing instance's models, each such model
   * that has no copy left is placed on another ready instance if one can take it. Real runtimes follow the
   * instances, and unload what the registry no longer lists on theirs.
   */
  private async refresh(view: ClusterView): Promise<void> {
    if (this.stopped) return;
    this.runtimeServers?.follow(view.instances);
    await this.dropLostCopies(view);
    this.runtimeServers?.unloadUnlisted(
      (instance, modelId) => this.store.model(modelId)?.instanceIds.has(instance) === true,
    );
  }

  private async dropLostCopies(view: ClusterView): Promise<void> {
    const ready = new Set(view.instances.filter((i) => i.ready).map((i) => i.id));
    const lost = new Set(
      this.mesh.view.instances.filter((i) => i.ready && !ready.has(i.id)).map((i) => i.id),
    );
    this.mesh.view = view;
    if (lost.size === 0) return;
    this.loads.dropInstances(lost);
    for (const [id, record] of this.store.models()) {
      const gone = [...record.instanceIds.keys()].filter((instance) => lost.has(instance));
      if (gone.length === 0) continue;
      for (const instance of gone) record.instanceIds.delete(instance);
      const placement =
        record.instanceIds.size === 0
          ? await this.loads.ensureCopy(id, record, view, record.lu)
          : { kind: "loaded" as const };
      if (placement.kind !== "loading") this.mesh.commit([{ put: "model", id, record }]);
    }
  }
}
