import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { REPO_ROOT, startControlPlane } from "../control-plane/index.js";
import { isAlive, stopPid } from "../control-plane/processes.js";

/** The local sandbox's layout under `.local/`: one pid file and one log per process. */
export const LOCAL_DIR = path.join(REPO_ROOT, ".local");
export const RUN_DIR = path.join(LOCAL_DIR, "run");
export const LOG_DIR = path.join(LOCAL_DIR, "logs");
export const STATE_DIR = path.join(LOCAL_DIR, "control-plane");
export const KUBECONFIG = path.join(LOCAL_DIR, "kubeconfig");

/** Processes in start order; `down` stops them in reverse. */
export const COMPONENTS = ["etcd", "kube-apiserver"] as const;

type Say = (line: string) => void;

interface PidFile {
  component: string;
  pid: number;
  alive: boolean;
}

function readPidFiles(): PidFile[] {
  if (!existsSync(RUN_DIR)) return [];
  return readdirSync(RUN_DIR)
    .filter((file) => file.endsWith(".pid"))
    .map((file) => {
      const pid = Number.parseInt(readFileSync(path.join(RUN_DIR, file), "utf8").trim(), 10);
      return { component: file.slice(0, -4), pid, alive: Number.isInteger(pid) && pid > 0 && isOurs(pid) };
    });
}

/** A live pid whose command line points into this checkout (a pid file can outlive its process). */
function isOurs(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(REPO_ROOT);
  } catch {
    return true;
  }
}

/** Starts the sandbox in the background and returns once it is ready; reports a running one instead. */
export async function up(say: Say): Promise<void> {
  const pids = readPidFiles();
  const running = pids.filter((p) => p.alive);
  if (running.length === COMPONENTS.length && existsSync(KUBECONFIG)) {
    say(
      `The local sandbox is already running (${running.map((p) => `${p.component} ${p.pid}`).join(", ")}).`,
    );
    say(`kubeconfig: ${KUBECONFIG}`);
    return;
  }
  if (pids.length > 0) {
    const dead = pids.filter((p) => !p.alive).map((p) => p.component);
    say(
      `Found a stale sandbox in .local/ (${dead.length > 0 ? `not running: ${dead.join(", ")}` : "incomplete"}); cleaning it up first.`,
    );
    await down(() => undefined);
  }

  mkdirSync(RUN_DIR, { recursive: true });
  mkdirSync(LOG_DIR, { recursive: true });
  rmSync(STATE_DIR, { recursive: true, force: true });
  say(
    "Starting etcd and kube-apiserver (the first run builds them from Go modules; that takes a few minutes)...",
  );
  const plane = await startControlPlane({ dir: STATE_DIR, logDir: LOG_DIR, detached: true });
  for (const [component, pid] of Object.entries(plane.pids)) {
    writeFileSync(path.join(RUN_DIR, `${component}.pid`), `${pid}\n`);
  }
  copyFileSync(plane.kubeconfigPath, KUBECONFIG);
  say(`Ready: kube-apiserver at ${plane.apiServerUrl}, etcd at ${plane.etcdEndpoint}.`);
  say(`kubeconfig: ${KUBECONFIG}   logs: ${LOG_DIR}`);
}

/** Stops every sandbox process named by a pid file and removes the cluster state; logs stay. */
export async function down(say: Say): Promise<void> {
  const pids = readPidFiles();
  if (pids.length === 0) {
    say("The local sandbox is not running.");
  }
  const order = [...COMPONENTS].reverse() as string[];
  pids.sort((a, b) => order.indexOf(a.component) - order.indexOf(b.component));
  for (const { component, pid, alive } of pids) {
    if (alive) {
      await stopPid(pid);
      say(`Stopped ${component} (pid ${pid}).`);
    }
    rmSync(path.join(RUN_DIR, `${component}.pid`), { force: true });
  }
  rmSync(STATE_DIR, { recursive: true, force: true });
  rmSync(KUBECONFIG, { force: true });
}
