/**
 * TEST INFRASTRUCTURE. An etcd process of a suite's own, for what would disturb the shared control plane's etcd:
 * ModelMesh's etcd in the fault suites, restartable on the same port and data (what a StatefulSet restart does),
 * and compactable.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Etcd3 } from "etcd3";
import { controlPlaneBinaries, etcdArgs, freePort } from "../control-plane/index.js";
import { type RunningProcess, sleep, startProcess } from "../control-plane/processes.js";
import { meshEtcdClient } from "./client.js";

export class EtcdProcess {
  #process: RunningProcess | undefined;
  /** Client of the test itself (seeding garbage, reading vmodels, compacting). */
  readonly client: Etcd3;

  private constructor(
    readonly dir: string,
    private readonly clientPort: number,
    private readonly peerPort: number,
  ) {
    this.client = EtcdProcess.#connect(this.endpoint);
  }

  /** A client that, like the controller's, accepts a whole registry in one answer (beyond gRPC's 4 MiB). */
  static #connect(endpoint: string): Etcd3 {
    return meshEtcdClient(endpoint);
  }

  /** The running process's pid, if it runs. */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  static async start(): Promise<EtcdProcess> {
    const etcd = new EtcdProcess(
      mkdtempSync(path.join(tmpdir(), "mesh-etcd-")),
      await freePort(),
      await freePort(),
    );
    await etcd.#start();
    return etcd;
  }

  async #start(): Promise<void> {
    const { etcd } = await controlPlaneBinaries();
    const peer = `http://127.0.0.1:${this.peerPort}`;
    this.#process = startProcess({
      name: "etcd",
      command: etcd,
      args: etcdArgs(path.join(this.dir, "data"), this.endpoint, peer),
      logFile: path.join(this.dir, "etcd.log"),
      detached: false,
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const healthy = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (healthy) return;
      if (!this.#process.isRunning() || Date.now() > deadline)
        throw new Error(`etcd did not become healthy; see ${path.join(this.dir, "etcd.log")}`);
      await sleep(100);
    }
  }

  /** SIGTERM, then the same data directory and port again after `downMs`. */
  async restart(downMs = 0): Promise<void> {
    await this.#process?.stop();
    if (downMs > 0) await sleep(downMs);
    await this.#start();
  }

  /** Compacts history up to the current revision, so watchers resuming from an older revision are cancelled. */
  async compact(): Promise<string> {
    // A fresh client: the long-lived one may still hold its circuit breaker open after the restart.
    const client = EtcdProcess.#connect(this.endpoint);
    try {
      const { header } = await client.put("compaction-probe").value(String(Date.now())).exec();
      await client.kv.compact({ revision: header.revision, physical: true });
      return header.revision;
    } finally {
      client.close();
    }
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.#process?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
