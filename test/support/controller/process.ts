/**
 * The one way to run the controller as a process on this machine: from source (tsx), built (the bundle the image
 * runs, with its Node flags) or any command line (the bench's `--controller-cmd`), listening on free loopback
 * ports it is given or on what its arguments say, its output kept in a log file. The sandbox, the end-to-end,
 * resilience and security suites, the `run` suites and the bench all start it here.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BUNDLE_PATH } from "../../../scripts/bundle.js";
import { freePort, REPO_ROOT } from "../control-plane/index.js";
import { processCpuMs, type RunningProcess, sleep, startProcess } from "../control-plane/processes.js";
import { exposedSamples } from "../metrics/exposition.js";

const SOURCE_MAIN = path.join(REPO_ROOT, "src/cli/main.ts");

/**
 * `source`: `src/cli/main.ts` through tsx; `built`: the bundle the image ships, with the image's
 * `--optimize-for-size` (the integration project's global setup builds it, `npm run build` elsewhere); `shell`: a
 * command line in which `{kubeconfig}`, `{metrics-addr}` and `{health-addr}` are replaced (the same values are in
 * the environment as `KUBECONFIG`, `METRICS_ADDR`, `HEALTH_ADDR`).
 */
export type ControllerCommand = "source" | "built" | { readonly shell: string };

export interface ControllerProcessOptions {
  readonly command?: ControllerCommand;
  /** The arguments after the program, `run` and its flags (source and built only); default `["run"]`. */
  readonly args?: readonly string[];
  readonly kubeconfig: string;
  /**
   * `free-loopback` (default): the metrics, health and webhook servers listen on free loopback ports, passed as
   * flags after `args`; `as-given`: only what `args` say (suites of the flags themselves).
   */
  readonly listen?: "free-loopback" | "as-given";
  /** With `free-loopback`: the webhook certificate directory; by default one without a certificate (no webhook). */
  readonly webhookCertDir?: string;
  /** Default: a new file in a temporary directory. */
  readonly logFile?: string;
  /** Outlives this process (the sandbox); otherwise it dies with it. */
  readonly detached?: boolean;
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ControllerPorts {
  readonly metrics: number;
  readonly health: number;
  readonly webhook: number;
}

function commandLine(
  options: ControllerProcessOptions,
  ports: ControllerPorts | undefined,
  kubeconfig: string,
): { command: string; args: string[] } {
  const command = options.command ?? "source";
  if (typeof command === "object") {
    const metricsAddr = ports === undefined ? "0" : `127.0.0.1:${ports.metrics}`;
    const healthAddr = ports === undefined ? "0" : `127.0.0.1:${ports.health}`;
    const line = command.shell
      .replaceAll("{kubeconfig}", kubeconfig)
      .replaceAll("{metrics-addr}", metricsAddr)
      .replaceAll("{health-addr}", healthAddr);
    // `exec` keeps one pid from the shell to the controller, so /proc/<pid> is the controller's.
    return { command: "/bin/sh", args: ["-c", `exec ${line}`] };
  }
  // Node refuses --cpu-prof and --heapsnapshot-signal in NODE_OPTIONS; this passes them to every controller a
  // suite starts (CONTRIBUTING.md, "Profiling").
  const nodeFlags = process.env.MMS_CONTROLLER_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const program =
    command === "source"
      ? [...nodeFlags, "--import", "tsx", SOURCE_MAIN]
      : ["--optimize-for-size", ...nodeFlags, BUNDLE_PATH];
  const listen =
    ports === undefined
      ? []
      : [
          `--metrics-addr=127.0.0.1:${ports.metrics}`,
          `--health-probe-bind-address=127.0.0.1:${ports.health}`,
          `--webhook-port=${ports.webhook}`,
          `--webhook-cert-dir=${options.webhookCertDir ?? "/nonexistent"}`,
        ];
  return {
    command: process.execPath,
    args: [...program, ...(options.args ?? ["run"]), `--kubeconfig=${kubeconfig}`, ...listen],
  };
}

export class ControllerProcess {
  readonly process: RunningProcess;
  readonly logFile: string;
  /** Undefined with `listen: "as-given"`. */
  readonly ports: ControllerPorts | undefined;
  /** The exit code, or the signal that ended it. */
  readonly exited: Promise<number | string>;
  #expectedExit = false;
  #peakRssMiB = 0;
  #cpuSeconds = 0;

  private constructor(options: ControllerProcessOptions, ports: ControllerPorts | undefined) {
    this.ports = ports;
    this.logFile = options.logFile ?? path.join(mkdtempSync(path.join(tmpdir(), "mms-controller-")), "log");
    const { command, args } = commandLine(options, ports, options.kubeconfig);
    const shellEnv =
      typeof options.command === "object" && ports !== undefined
        ? {
            KUBECONFIG: options.kubeconfig,
            METRICS_ADDR: `127.0.0.1:${ports.metrics}`,
            HEALTH_ADDR: `127.0.0.1:${ports.health}`,
          }
        : {};
    this.process = startProcess({
      name: "controller",
      command,
      args,
      logFile: this.logFile,
      detached: options.detached ?? false,
      env: { ...process.env, ...options.env, ...shellEnv },
    });
    this.exited = this.process.exited.then((end) => (/^\d+$/.test(end) ? Number(end) : end));
  }

  static async start(options: ControllerProcessOptions): Promise<ControllerProcess> {
    const ports =
      (options.listen ?? "free-loopback") === "free-loopback"
        ? { metrics: await freePort(), health: await freePort(), webhook: await freePort() }
        : undefined;
    return new ControllerProcess(options, ports);
  }

  get pid(): number {
    return this.process.pid;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.#ports().metrics}/metrics`;
  }

  isRunning(): boolean {
    return this.process.isRunning();
  }

  /** Whether `/readyz` (or `/healthz`) answers 200 now. */
  async answers(probe: "readyz" | "healthz" = "readyz"): Promise<boolean> {
    return fetch(`http://127.0.0.1:${this.#ports().health}/${probe}`, {
      signal: AbortSignal.timeout(1_000),
    }).then(
      (response) => response.ok,
      () => false,
    );
  }

  /** Waits until the probe answers 200; throws if the process exits first or the time runs out. */
  async waitReady(timeoutMs = 90_000, probe: "readyz" | "healthz" = "readyz"): Promise<void> {
    if (!(await this.waitFor(timeoutMs, probe)))
      throw new Error(`the controller did not answer /${probe} within ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** Like `waitReady`, but says whether it answered in time (a binary without probes never does). */
  async waitFor(timeoutMs: number, probe: "readyz" | "healthz" = "readyz"): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (!this.isRunning())
        throw new Error(
          `the controller exited (${await this.process.exited}) during start-up; see ${this.logFile}`,
        );
      if (await this.answers(probe)) return true;
      await sleep(100);
    }
    return false;
  }

  /** Whether this replica holds the leader lock (its metric says so). */
  async isLeader(): Promise<boolean> {
    const samples = exposedSamples(await this.#metricsText(), "leader_election_master_status");
    return samples.some((sample) => sample.value === 1);
  }

  /** One metric summed over its series (those with every label in `labels`), or undefined when it has none. */
  async metric(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number | undefined> {
    const matching = exposedSamples(await this.#metricsText(), name).filter((sample) =>
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
    return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
  }

  /** Peak resident set so far, in MiB (`VmHWM`); the last reading once the process is gone. */
  peakRssMiB(): number {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
      if (match) this.#peakRssMiB = Number(match[1]) / 1024;
    } catch {
      // exited: keep the last reading
    }
    return this.#peakRssMiB;
  }

  /** User + system CPU seconds so far; the last reading once the process is gone. */
  cpuSeconds(): number {
    const ms = processCpuMs(this.pid);
    if (ms !== undefined) this.#cpuSeconds = ms / 1000;
    return this.#cpuSeconds;
  }

  /** Everything it wrote so far. */
  output(): string {
    return readFileSync(this.logFile, "utf8");
  }

  logLines(): string[] {
    return this.output()
      .split("\n")
      .filter((line) => line.trim() !== "");
  }

  /**
   * Whether the process ended without being told to. A leader that cannot renew its Lease steps down and
   * campaigns again in-process (decision 0120), so every such exit is a crash.
   */
  crashed(): boolean {
    return !this.isRunning() && !this.#expectedExit;
  }

  /** How often it stepped down after failing to renew its Lease (a normal event, not a failure). */
  stepDowns(): number {
    return this.logLines().filter((line) => line.includes('"msg":"leader election lost; stepping down'))
      .length;
  }

  signal(signal: NodeJS.Signals): void {
    this.#expectedExit = true;
    this.process.kill(signal);
  }

  /** SIGKILL: no drain, no lock release. */
  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.process.exited;
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; the last CPU and memory readings are kept. */
  async stop(timeoutMs = 20_000): Promise<void> {
    this.#expectedExit = true;
    this.peakRssMiB();
    this.cpuSeconds();
    await this.process.stop(timeoutMs);
  }

  #ports(): ControllerPorts {
    if (this.ports === undefined) throw new Error("the controller was started with listen: as-given");
    return this.ports;
  }

  async #metricsText(): Promise<string> {
    return fetch(this.metricsUrl, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.text(),
      () => "",
    );
  }
}

export function startControllerProcess(options: ControllerProcessOptions): Promise<ControllerProcess> {
  return ControllerProcess.start(options);
}
