/**
 * TEST/SANDBOX INFRASTRUCTURE — never shipped. One real MLServer process from the cached Python environment, on
 * loopback ports of its own, with an empty model repository of its own (models arrive through the repository API,
 * see model-repository.ts). Settings are MLSERVER_* environment variables, nothing inherited: REST and gRPC on
 * 127.0.0.1, the metrics server off, nothing loaded at start, and by default no inference worker pool
 * (`MLSERVER_PARALLEL_WORKERS=0`: inference runs in the main process; each worker would add a second Python
 * process of about 150 MB). The process leads its own process group, so `stop` ends any workers with it, and it
 * gets SIGKILL if its parent dies.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { type InferenceClient, inferenceClient } from "./grpc-clients.js";

export interface MlserverOptions {
  /** The Python environment's bin directory (`pythonEnvBinDir()`). */
  readonly pythonBinDir: string;
  /** Where the repository, the log and MLServer's working files go; a new temporary directory by default. */
  readonly dir?: string;
  /** Inference worker processes; 0 (the default) runs inference in the main process. */
  readonly parallelWorkers?: number;
  readonly startTimeoutMs?: number;
}

export interface MlserverProcess {
  readonly pid: number;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** `127.0.0.1:<grpcPort>`. */
  readonly grpcAddress: string;
  /** `http://127.0.0.1:<httpPort>`. */
  readonly httpUrl: string;
  /** The model repository root: one directory per model, each with its `model-settings.json`. */
  readonly repositoryDir: string;
  readonly logFile: string;
  /** Milliseconds from spawn until both the REST and the gRPC server answered ready. */
  readonly startMs: number;
  /** The resident memory of every process in MLServer's process group, in bytes. */
  rssBytes(): number;
  /** SIGTERM to the process group, SIGKILL after `timeoutMs`; resolves when every process of the group is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

const SETPRIV = "/usr/bin/setpriv";
const DEFAULT_START_TIMEOUT_MS = 60_000;
const running = new Set<number>();

// A test runner that dies leaves no MLServer behind: the leader also has a parent-death signal, and its workers
// are in its process group.
process.once("exit", () => {
  for (const pgid of running) killGroup(pgid, "SIGKILL");
});

/** Starts MLServer and resolves once it serves REST and gRPC; retries with new ports if a port was taken. */
export async function startMlserver(options: MlserverOptions): Promise<MlserverProcess> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), "mlserver-")));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options, dir);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortTakenError)) throw error;
    }
  }
  throw lastError;
}

class PortTakenError extends Error {}

async function startOnce(options: MlserverOptions, dir: string): Promise<MlserverProcess> {
  const repositoryDir = path.join(dir, "models");
  mkdirSync(repositoryDir, { recursive: true });
  const logFile = path.join(dir, "mlserver.log");
  const { httpPort, grpcPort } = await freePorts();
  const env: NodeJS.ProcessEnv = {
    PATH: `${options.pythonBinDir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: process.env.HOME ?? dir,
    MLSERVER_HOST: "127.0.0.1",
    MLSERVER_HTTP_PORT: String(httpPort),
    MLSERVER_GRPC_PORT: String(grpcPort),
    // An empty endpoint disables MLServer's metrics server and its port.
    MLSERVER_METRICS_ENDPOINT: "",
    MLSERVER_LOAD_MODELS_AT_STARTUP: "false",
    MLSERVER_PARALLEL_WORKERS: String(options.parallelWorkers ?? 0),
    MLSERVER_DEBUG: "false",
    // Model libraries would start one thread per core each; the machines these run on have two cores.
    OMP_NUM_THREADS: "1",
  };
  const mlserver = path.join(options.pythonBinDir, "mlserver");
  const argv = ["start", repositoryDir];
  const [command, args] = existsSync(SETPRIV)
    ? [SETPRIV, ["--pdeathsig", "KILL", "--", mlserver, ...argv]]
    : [mlserver, argv];
  const logOffset = existsSync(logFile) ? readFileSync(logFile).length : 0;
  const log = openSync(logFile, "a");
  const started = performance.now();
  // detached: a new session, so the process group id is the leader's pid.
  const child = spawn(command, args, { cwd: dir, env, stdio: ["ignore", log, log], detached: true });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${mlserver}`);
  running.add(pid);
  const exited = exitOf(child).finally(() => running.delete(pid));

  const stop = async (timeoutMs = 10_000) => {
    killGroup(pid, "SIGTERM");
    const timer = setTimeout(() => killGroup(pid, "SIGKILL"), timeoutMs);
    await exited;
    // The leader is gone; its workers may still be shutting down.
    while (processGroupMembers(pid).length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    clearTimeout(timer);
    running.delete(pid);
  };

  // Reconnect quickly: the port opens a moment after spawn, and grpc-js's default backoff starts at 1 s.
  const client = inferenceClient(`127.0.0.1:${grpcPort}`, {
    "grpc.initial_reconnect_backoff_ms": 50,
    "grpc.max_reconnect_backoff_ms": 100,
  });
  try {
    await untilReady(client, `http://127.0.0.1:${httpPort}`, exited, options.startTimeoutMs);
  } catch (error) {
    await stop(2_000);
    const output = (await readFile(logFile, "utf8")).slice(logOffset);
    if (/address already in use|Errno 98|Failed to bind/i.test(output)) throw new PortTakenError(output);
    throw new Error(`${(error as Error).message}\nMLServer's log (${logFile}):\n${output.slice(-3_000)}`);
  } finally {
    client.close();
  }

  return {
    pid,
    grpcPort,
    httpPort,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    repositoryDir,
    logFile,
    startMs: Math.round(performance.now() - started),
    rssBytes: () => processGroupMembers(pid).reduce((sum, member) => sum + rssOf(member), 0),
    stop,
  };
}

async function untilReady(
  client: InferenceClient,
  httpUrl: string,
  exited: Promise<string>,
  timeoutMs = DEFAULT_START_TIMEOUT_MS,
): Promise<void> {
  let ended: string | undefined;
  void exited.then((how) => {
    ended = how;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ended !== undefined) throw new Error(`MLServer exited during start (${ended})`);
    const ready = await Promise.all([
      fetch(`${httpUrl}/v2/health/ready`).then(
        (response) => response.ok,
        () => false,
      ),
      client.serverReady({}, 1_000).then(
        (response) => response.ready,
        () => false,
      ),
    ]);
    if (ready.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`MLServer was not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ?? `exit code ${code}`));
    child.once("error", (error) => resolve(`error: ${error.message}`));
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}

/** The live (not zombie) pids whose process group is `pgid` (field 5 of /proc/<pid>/stat). */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name (field 2) is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Ports the kernel hands out as free on loopback right now (a small race, handled by the caller's retry). */
async function freePorts(): Promise<{ httpPort: number; grpcPort: number }> {
  const servers = await Promise.all(
    Array.from(
      { length: 2 },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const [httpPort, grpcPort] = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  if (httpPort === undefined || grpcPort === undefined) throw new Error("no free loopback ports");
  return { httpPort, grpcPort };
}
