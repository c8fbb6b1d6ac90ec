/**
 * Runs a controller binary as a process against a control plane and reads what the kernel knows of it: the
 * peak resident set (`VmHWM`) and CPU time. The command is a shell command; `{kubeconfig}`, `{metrics-addr}`
 * and `{health-addr}` in it are replaced, and the same values are in the environment (`KUBECONFIG`,
 * `METRICS_ADDR`, `HEALTH_ADDR`) along with `NAMESPACE` and `ETCD_SECRET_NAME`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { freePort, REPO_ROOT } from "../control-plane/index.js";
import { type RunningProcess, sleep, startProcess } from "../control-plane/processes.js";

/** Our controller, built (`npm run build`): the JS a production image runs, with the image's Node flags. */
export const DEFAULT_CONTROLLER_COMMAND = `node --optimize-for-size ${path.join(REPO_ROOT, "dist/src/cli/main.js")} run --kubeconfig={kubeconfig} --metrics-addr={metrics-addr} --health-probe-bind-address={health-addr}`;

export interface ControllerProcessOptions {
  readonly command: string;
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly etcdSecretName: string;
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ControllerProcess {
  readonly pid: number;
  readonly metricsUrl: string;
  readonly healthUrl: string;
  /** Resolves once `/readyz` answers 200, or after `timeoutMs` for a binary without it. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Peak resident set so far, in MiB (`VmHWM`). */
  peakRssMiB(): number;
  /** User + system CPU seconds so far. */
  cpuSeconds(): number;
  /** One metric's summed value from the metrics endpoint (all label sets), or undefined. */
  metric(name: string, labelFilter?: string): Promise<number | undefined>;
  stop(): Promise<void>;
  readonly process: RunningProcess;
}

export async function startControllerProcess(options: ControllerProcessOptions): Promise<ControllerProcess> {
  const metricsAddr = `127.0.0.1:${await freePort()}`;
  const healthAddr = `127.0.0.1:${await freePort()}`;
  const command = options.command
    .replaceAll("{kubeconfig}", options.kubeconfig)
    .replaceAll("{metrics-addr}", metricsAddr)
    .replaceAll("{health-addr}", healthAddr);
  // `exec` keeps one pid from the shell to the controller, so /proc/<pid> is the controller's.
  const child = startProcess({
    name: "controller",
    command: "/bin/sh",
    args: ["-c", `exec ${command}`],
    logFile: options.logFile,
    detached: false,
    env: {
      ...process.env,
      ...options.env,
      KUBECONFIG: options.kubeconfig,
      METRICS_ADDR: metricsAddr,
      HEALTH_ADDR: healthAddr,
      NAMESPACE: options.namespace,
      ETCD_SECRET_NAME: options.etcdSecretName,
    },
  });
  const proc = `/proc/${child.pid}`;
  let lastPeak = 0;
  let lastCpu = 0;
  const metricsUrl = `http://${metricsAddr}/metrics`;
  const controller: ControllerProcess = {
    pid: child.pid,
    metricsUrl,
    healthUrl: `http://${healthAddr}/readyz`,
    process: child,
    async ready(timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        if (!child.isRunning())
          throw new Error(`the controller exited: ${await child.exited}; see ${options.logFile}`);
        try {
          if ((await fetch(`http://${healthAddr}/readyz`)).ok) return true;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      return false;
    },
    peakRssMiB() {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`${proc}/status`, "utf8"));
        if (match) lastPeak = Number(match[1]) / 1024;
      } catch {
        // exited: keep the last reading
      }
      return lastPeak;
    },
    cpuSeconds() {
      try {
        const fields = readFileSync(`${proc}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
        // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
        lastCpu = (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        // exited: keep the last reading
      }
      return lastCpu;
    },
    async metric(name, labelFilter) {
      try {
        const text = await (await fetch(metricsUrl)).text();
        let sum: number | undefined;
        for (const line of text.split("\n")) {
          if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue;
          if (labelFilter !== undefined && !line.includes(labelFilter)) continue;
          sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
        }
        return sum;
      } catch {
        return undefined;
      }
    },
    async stop() {
      controller.peakRssMiB();
      controller.cpuSeconds();
      await child.stop();
    },
  };
  return controller;
}
