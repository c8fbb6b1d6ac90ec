/**
 * TEST/SANDBOX INFRASTRUCTURE — part of the ModelMesh emulator. The real runtimes behind emulated instances: with
 * the emulator's `runtimeServers` option, each instance of an MLServer runtime (its pod runs `mlserver` and
 * `mlserver-adapter`) gets one MLServer process, started when the instance appears in the emulator's view and
 * stopped, with its whole process group, when the instance goes or the emulator stops. Every other instance stays
 * emulated. A runtime holds the copies the registry lists on its instance: what it holds beyond them (a model
 * deleted from the registry, a failed load, a copy dropped from a departing instance) is unloaded, as model-mesh
 * unloads what leaves its cache.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "../../../src/controller-runtime/logging.js";
import type { MlserverProcess } from "../mlserver/index.js";
import { MlserverInstance } from "./mlserver-instance.js";
import type { EmulatedInstance } from "./runtimes.js";

export interface RuntimeServersOptions {
  /** Runs MLServer for the instances of MLServer runtimes, from this Python environment (`pythonEnvBinDir()`). */
  readonly mlserver?: {
    readonly pythonBinDir: string;
    /** MLServer's inference worker processes; 0 (the default) infers in its main process. */
    readonly parallelWorkers?: number;
  };
  /** Where each runtime gets its directory (`<dir>/<instance id>`); a temporary directory by default. */
  readonly dir?: string;
}

const MLSERVER = "mlserver";

export class RuntimeServers {
  private readonly running = new Map<string, MlserverInstance>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly dir: string;
  private readonly ownsDir: boolean;
  private stopped = false;

  constructor(
    private readonly options: RuntimeServersOptions,
    private readonly log: Logger,
  ) {
    this.ownsDir = options.dir === undefined;
    this.dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), "mms-runtimes-"));
  }

  /** Starts a runtime for each new instance that has a real one, stops those of instances that went. */
  follow(instances: readonly EmulatedInstance[]): void {
    if (this.stopped) return;
    const present = new Set(instances.map((i) => i.id));
    for (const [id, runtime] of this.running) {
      if (present.has(id)) continue;
      this.running.delete(id);
      this.stopInBackground(runtime);
    }
    const mlserver = this.options.mlserver;
    if (mlserver === undefined) return;
    for (const instance of instances) {
      if (instance.modelServer !== MLSERVER || this.running.has(instance.id)) continue;
      const dir = path.join(this.dir, instance.id);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      this.running.set(instance.id, new MlserverInstance(instance.id, { ...mlserver, dir }, this.log));
    }
  }

  /** The real runtime of an instance, or undefined when the instance is emulated. */
  of(instanceId: string): MlserverInstance | undefined {
    return this.running.get(instanceId);
  }

  /** Unloads, in the background, what a runtime holds that `listed` says its instance no longer has. */
  unloadUnlisted(listed: (instanceId: string, modelId: string) => boolean): void {
    for (const [instanceId, runtime] of this.running) {
      for (const modelId of runtime.settledModels()) {
        if (!listed(instanceId, modelId)) void runtime.unload(modelId);
      }
    }
  }

  /** The MLServer processes by instance id, once each has started. */
  async processes(): Promise<Map<string, MlserverProcess>> {
    const started = await Promise.all(
      [...this.running].map(async ([id, runtime]) => [id, await runtime.started] as const),
    );
    return new Map(started);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const runtime of this.running.values()) this.stopInBackground(runtime);
    this.running.clear();
    await Promise.all(this.stopping);
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private stopInBackground(runtime: MlserverInstance): void {
    const done = runtime
      .stop()
      .catch((error: unknown) =>
        this.log.warn({ instanceId: runtime.instanceId, error: String(error) }, "MLServer did not stop"),
      )
      .finally(() => this.stopping.delete(done));
    this.stopping.add(done);
  }
}
