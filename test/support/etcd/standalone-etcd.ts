/**
 * TEST INFRASTRUCTURE. A private etcd process for suites that must do what would disturb the shared control
 * plane's etcd, such as compacting it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { controlPlaneBinaries, freePort } from "../control-plane/index.js";
import { startProcess } from "../control-plane/processes.js";

export interface StandaloneEtcd {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startStandaloneEtcd(): Promise<StandaloneEtcd> {
  const { etcd } = await controlPlaneBinaries();
  const dir = mkdtempSync(path.join(tmpdir(), "mesh-etcd-"));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = startProcess({
    name: "etcd",
    command: etcd,
    args: [
      `--data-dir=${path.join(dir, "data")}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      "--name=default",
    ],
    logFile: path.join(dir, "etcd.log"),
    detached: false,
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const healthy = await fetch(`${endpoint}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (!proc.isRunning() || Date.now() > deadline) {
      await proc.stop();
      throw new Error(`etcd did not become healthy; see ${path.join(dir, "etcd.log")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
