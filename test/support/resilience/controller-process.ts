/**
 * `modelmesh-serving run` as a real process (as the sandbox starts it), with its log kept in a file so a suite
 * can scan every line, and a record of how it ended: a process that exits without being told to has crashed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { freePort, REPO_ROOT } from "../control-plane/index.js";
import { type RunningProcess, sleep, startProcess } from "../control-plane/processes.js";

const MAIN = path.join(REPO_ROOT, "src", "cli", "main.ts");

export interface ControllerProcessOptions {
  readonly kubeconfigPath: string;
  readonly namespace: string;
  readonly scope: "namespace" | "cluster";
  readonly logFile: string;
  /** Serve the webhook from this directory (tls.crt, tls.key) on `webhookPort`. */
  readonly webhookCertDir?: string;
  readonly webhookPort?: number;
  readonly leaderElection?: boolean;
  readonly logLevel?: string;
  readonly env?: Record<string, string>;
}

/** Leader election with the install's timings (15 s lease, 10 s renew deadline, 2 s retry: the defaults). */
const LEASE_ARGS = ["--enable-leader-election"];

export class ControllerProcess {
  readonly #process: RunningProcess;
  #expectedExit = false;
  readonly healthPort: number;
  readonly metricsPort: number;

  private constructor(
    readonly options: ControllerProcessOptions,
    ports: { health: number; metrics: number },
  ) {
    this.healthPort = ports.health;
    this.metricsPort = ports.metrics;
    this.#process = startProcess({
      name: "controller",
      command: process.execPath,
      args: [
        "--import",
        "tsx",
        MAIN,
        "run",
        `--kubeconfig=${options.kubeconfigPath}`,
        `--metrics-addr=127.0.0.1:${ports.metrics}`,
        `--health-probe-bind-address=127.0.0.1:${ports.health}`,
        `--webhook-port=${options.webhookPort ?? 0}`,
        `--webhook-cert-dir=${options.webhookCertDir ?? "/nonexistent"}`,
        ...(options.leaderElection === false ? [] : LEASE_ARGS),
      ],
      logFile: options.logFile,
      detached: false,
      env: {
        ...process.env,
        NAMESPACE: options.namespace,
        NAMESPACE_SCOPE: options.scope === "namespace" ? "true" : "false",
        LOG_LEVEL: options.logLevel ?? "info",
        ...options.env,
      },
    });
  }

  static async start(options: ControllerProcessOptions): Promise<ControllerProcess> {
    const controller = new ControllerProcess(options, {
      health: await freePort(),
      metrics: await freePort(),
    });
    await controller.waitReady();
    return controller;
  }

  get pid(): number {
    return this.#process.pid;
  }

  isRunning(): boolean {
    return this.#process.isRunning();
  }

  /**
   * Whether the process ended without a test asking it to. A leader that cannot renew its Lease steps down and
   * campaigns again in-process (decision 0120), so every such exit is a crash.
   */
  crashed(): boolean {
    return !this.#process.isRunning() && !this.#expectedExit;
  }

  /** How often this process stepped down after failing to renew its Lease (a normal event, not a failure). */
  stepDowns(): number {
    return this.logLines().filter((line) => line.includes('"msg":"leader election lost; stepping down'))
      .length;
  }

  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.isRunning())
        throw new Error(`the controller exited during start-up; see ${this.options.logFile}`);
      const ok = await fetch(`http://127.0.0.1:${this.healthPort}/healthz`, {
        signal: AbortSignal.timeout(1000),
      })
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return;
      await sleep(200);
    }
    throw new Error(`the controller was not healthy after ${timeoutMs} ms; see ${this.options.logFile}`);
  }

  /** Whether this replica holds the Lease (its metric says so). */
  async isLeader(): Promise<boolean> {
    const text = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`, {
      signal: AbortSignal.timeout(2000),
    })
      .then((r) => r.text())
      .catch(() => "");
    return /leader_election_master_status\{[^}]*\} 1/.test(text);
  }

  /** SIGKILL: no drain, no Lease release. */
  async kill(): Promise<void> {
    this.#expectedExit = true;
    this.#process.kill("SIGKILL");
    await this.#process.exited;
  }

  async stop(): Promise<void> {
    this.#expectedExit = true;
    await this.#process.stop(20_000);
  }

  logLines(): string[] {
    return readFileSync(this.options.logFile, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "");
  }
}

/** Lines a healthy process never writes: an uncaught error, a fatal log, a Node crash report. */
export function crashLines(lines: readonly string[]): string[] {
  return lines.filter((line) =>
    /"level":60|uncaughtException|unhandledRejection|UnhandledPromiseRejection|FATAL ERROR|^\s+at .*\(node:/.test(
      line,
    ),
  );
}
