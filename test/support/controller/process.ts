/**
 * The controller from source (`src/cli/main.ts` through tsx) as a process on this machine, listening on free
 * loopback ports: the sandbox's and the end-to-end suites'.
 */
import path from "node:path";
import { freePort, REPO_ROOT } from "../control-plane/index.js";
import { type RunningProcess, startProcess } from "../control-plane/processes.js";

export interface LocalController {
  readonly process: RunningProcess;
  readonly ports: { readonly metrics: number; readonly health: number; readonly webhook: number };
  /** Whether its readiness probe answers 200. */
  ready(): Promise<boolean>;
}

export async function startLocalController(options: {
  /** The command and its flags, without kubeconfig, listen addresses and webhook certificates: `["run"]`. */
  args: readonly string[];
  kubeconfig: string;
  webhookCertDir: string;
  logFile: string;
  detached: boolean;
  env: NodeJS.ProcessEnv;
}): Promise<LocalController> {
  const ports = { metrics: await freePort(), health: await freePort(), webhook: await freePort() };
  const controller = startProcess({
    name: "controller",
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      path.join(REPO_ROOT, "src/cli/main.ts"),
      ...options.args,
      `--kubeconfig=${options.kubeconfig}`,
      `--metrics-addr=127.0.0.1:${ports.metrics}`,
      `--health-probe-bind-address=127.0.0.1:${ports.health}`,
      `--webhook-port=${ports.webhook}`,
      `--webhook-cert-dir=${options.webhookCertDir}`,
    ],
    logFile: options.logFile,
    detached: options.detached,
    env: options.env,
  });
  return {
    process: controller,
    ports,
    ready: () =>
      fetch(`http://127.0.0.1:${ports.health}/readyz`).then(
        (response) => response.ok,
        () => false,
      ),
  };
}
