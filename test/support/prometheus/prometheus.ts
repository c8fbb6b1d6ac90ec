/**
 * TEST INFRASTRUCTURE. A real Prometheus server (Debian's package, installed by scripts/install-prometheus.sh),
 * started on a free loopback port with its storage in a temporary directory, scraping the given targets.
 * Its HTTP API answers instant queries; nothing listens beyond loopback.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { freePort, REPO_ROOT } from "../control-plane/index.js";
import { type RunningProcess, sleep, startProcess } from "../control-plane/processes.js";

const execFileAsync = promisify(execFile);

export interface ScrapeTarget {
  readonly job: string;
  /** `host:port` */
  readonly address: string;
  readonly metricsPath?: string;
}

/** One series of an instant vector: its labels and its value. */
export interface Sample {
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface Prometheus {
  readonly url: string;
  /** An instant query through `/api/v1/query`. */
  query(expression: string): Promise<Sample[]>;
  /** The scrape targets' health as Prometheus reports it (`/api/v1/targets`). */
  targets(): Promise<{ job: string; health: string; lastError: string }[]>;
  log(): string;
  stop(): Promise<void>;
}

/** The binary: installed on first use (as root with apt-get), or $PROMETHEUS_BIN. */
export async function prometheusBinary(): Promise<string> {
  const { stdout } = await execFileAsync("bash", [path.join(REPO_ROOT, "scripts/install-prometheus.sh")], {
    timeout: 10 * 60_000,
  });
  return stdout.trim().split("\n").pop() ?? "";
}

export async function startPrometheus(options: {
  targets: readonly ScrapeTarget[];
  scrapeIntervalSeconds?: number;
}): Promise<Prometheus> {
  const binary = await prometheusBinary();
  const dir = mkdtempSync(path.join(tmpdir(), "mms-prometheus-"));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: options.targets.map((target) => ({
      job_name: target.job,
      metrics_path: target.metricsPath ?? "/metrics",
      static_configs: [{ targets: [target.address] }],
    })),
  };
  writeFileSync(path.join(dir, "prometheus.yml"), stringify(config));
  const port = await freePort();
  const logFile = path.join(dir, "prometheus.log");
  const server: RunningProcess = startProcess({
    name: "prometheus",
    command: binary,
    args: [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Debian's defaults point at /usr/share/prometheus; the API needs neither consoles nor templates.
      `--web.console.libraries=${dir}`,
      `--web.console.templates=${dir}`,
    ],
    logFile,
    detached: false,
  });
  const url = `http://127.0.0.1:${port}`;
  const log = () => readFileSync(logFile, "utf8");
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!server.isRunning()) throw new Error(`prometheus exited during start-up:\n${log()}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`prometheus was not ready after 60 s:\n${log()}`);
    await sleep(200);
  }

  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const response = await fetch(`${url}${pathAndQuery}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success")
      throw new Error(`prometheus ${pathAndQuery}: ${body.error ?? response.status}`);
    return body.data;
  };
  return {
    url,
    async query(expression) {
      const data = await api<{
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      }>(`/api/v1/query?query=${encodeURIComponent(expression)}`);
      if (data.resultType !== "vector") throw new Error(`expected a vector, got ${data.resultType}`);
      return data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = await api<{
        activeTargets: { labels: { job: string }; health: string; lastError: string }[];
      }>("/api/v1/targets");
      return data.activeTargets.map((t) => ({ job: t.labels.job, health: t.health, lastError: t.lastError }));
    },
    log,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
