import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Detached processes outlive the caller (the local sandbox); attached ones get SIGKILL when the caller dies,
   * so a crashed test runner leaves no orphan.
   */
  detached: boolean;
}

export interface RunningProcess {
  name: string;
  pid: number;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<string>;
  stop(timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  isRunning(): boolean;
}

const SETPRIV = "/usr/bin/setpriv";
const attached = new Set<ChildProcess>();

process.once("exit", () => {
  for (const child of attached) child.kill("SIGKILL");
});

export function startProcess(spec: ProcessSpec): RunningProcess {
  const log = openSync(spec.logFile, "a");
  const useDeathSignal = !spec.detached && existsSync(SETPRIV);
  const [command, args] = useDeathSignal
    ? [SETPRIV, ["--pdeathsig", "KILL", "--", spec.command, ...spec.args]]
    : [spec.command, spec.args];
  const child = spawn(command, args, {
    stdio: ["ignore", log, log],
    detached: spec.detached,
    env: spec.env ?? process.env,
  });
  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
  let running = true;
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      attached.delete(child);
      resolve(signal ?? String(code));
    });
    child.once("error", (error) => {
      running = false;
      attached.delete(child);
      resolve(`error: ${error.message}`);
    });
  });
  if (spec.detached) child.unref();
  else attached.add(child);

  return {
    name: spec.name,
    pid: child.pid,
    exited,
    isRunning: () => running,
    kill: (signal) => {
      if (running) child.kill(signal);
    },
    stop: async (timeoutMs = 10_000) => {
      if (!running) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Whether a pid names a live process (used for the sandbox's pid files). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Stops a process known only by pid: SIGTERM, then SIGKILL after the timeout. */
export async function stopPid(pid: number, timeoutMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(50);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The captures of `pattern`'s first match in the process's log, once it appears; throws if the process exits first. */
export async function logLine(
  running: RunningProcess,
  logFile: string,
  pattern: RegExp,
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = existsSync(logFile) ? pattern.exec(readFileSync(logFile, "utf8")) : null;
    if (match !== null) return match.slice(1);
    if (!running.isRunning()) throw new Error(`the ${running.name} exited during start-up; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} in ${logFile} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Linux reports CPU times in clock ticks of 1/100 s (`getconf CLK_TCK`). */
export const MS_PER_TICK = 10;

/** User + system CPU milliseconds of `pid` so far (from /proc); undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may contain spaces; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}
