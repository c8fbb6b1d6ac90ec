/**
 * Runs `modelmesh-serving run` from source as a child process, the way the installed Deployment would run it: its
 * arguments and env come from the installed Deployment's `manager` container, and it authenticates as the
 * install's ServiceAccount (a client certificate for `system:serviceaccount:<ns>:modelmesh-controller` in the
 * service-account groups, which RBAC treats exactly as the ServiceAccount's token), so any permission the install
 * lacks fails the run. Only the listen addresses differ: loopback, free ports.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AppsV1Api, type V1EnvVar } from "@kubernetes/client-node";
import { type ControlPlane, kubeconfigForUser } from "../control-plane/index.js";
import { type RunningProcess, sleep } from "../control-plane/processes.js";
import { startLocalController } from "../controller/process.js";
import { writeLoopbackWebhookCertificate } from "../controller/webhook.js";
import { kubectl } from "../install/install.js";
import { WEBHOOK_CONFIGURATION } from "./control-plane.js";

export const CONTROLLER_DEPLOYMENT = "modelmesh-controller";
const POD_NAME = "modelmesh-controller-e2e";

export interface ControllerProcess {
  readonly process: RunningProcess;
  readonly logFile: string;
  readonly metricsUrl: string;
  readonly metricsPort: number;
  /** The controller's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** The identity of the install's ServiceAccount, as the API server sees a pod using its token. */
export async function serviceAccountKubeconfig(plane: ControlPlane, namespace: string): Promise<string> {
  return kubeconfigForUser(
    plane.kubeconfigPath,
    `system:serviceaccount:${namespace}:${CONTROLLER_DEPLOYMENT}`,
    ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
  );
}

/** What the kubelet would resolve: plain values and the two downward-API fields the manifest uses. */
function resolveEnv(env: readonly V1EnvVar[], namespace: string): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const variable of env) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    if (variable.value !== undefined) resolved[variable.name] = variable.value;
    else if (field === "metadata.namespace") resolved[variable.name] = namespace;
    else if (field === "metadata.name") resolved[variable.name] = POD_NAME;
    else throw new Error(`the e2e run cannot resolve env ${variable.name} of the controller Deployment`);
  }
  return resolved;
}

/**
 * The installed ValidatingWebhookConfiguration names the webhook Service, which needs a pod and kube-proxy to
 * reach; here it is pointed at the controller on loopback instead (same path, the CA that signed its certificate).
 */
async function routeWebhookTo(plane: ControlPlane, port: number, caPem: string): Promise<void> {
  const current = JSON.parse(
    await kubectl(plane, ["get", "validatingwebhookconfiguration", WEBHOOK_CONFIGURATION, "-o", "json"]),
  ) as { webhooks: { clientConfig: { service?: { path?: string } } }[] };
  const patch = current.webhooks.map((webhook, index) => ({
    op: "replace",
    path: `/webhooks/${index}/clientConfig`,
    value: {
      url: `https://127.0.0.1:${port}${webhook.clientConfig.service?.path ?? "/"}`,
      caBundle: Buffer.from(caPem).toString("base64"),
    },
  }));
  await kubectl(plane, [
    "patch",
    "validatingwebhookconfiguration",
    WEBHOOK_CONFIGURATION,
    "--type=json",
    "-p",
    JSON.stringify(patch),
  ]);
}

/** Starts the controller of the install in `namespace` and returns once it is ready and its webhook routed. */
export async function startControllerProcess(
  plane: ControlPlane,
  namespace: string,
): Promise<ControllerProcess> {
  const deployment = await plane.kubeConfig
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: CONTROLLER_DEPLOYMENT, namespace });
  const manager = deployment.spec?.template.spec?.containers.find((c) => c.name === "manager");
  if (manager === undefined) throw new Error("the installed controller Deployment has no manager container");
  const dir = mkdtempSync(path.join(tmpdir(), "mms-e2e-controller-"));
  const caPem = await writeLoopbackWebhookCertificate(
    path.join(path.dirname(plane.kubeconfigPath), "pki"),
    dir,
  );
  const logFile = path.join(dir, "controller.log");
  const controller = await startLocalController({
    args: manager.args ?? [],
    kubeconfig: await serviceAccountKubeconfig(plane, namespace),
    webhookCertDir: dir,
    logFile,
    detached: false,
    env: { ...process.env, ...resolveEnv(manager.env ?? [], namespace), LOG_LEVEL: "info" },
  });
  const log = () => readFileSync(logFile, "utf8");
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (!controller.process.isRunning()) throw new Error(`the controller exited during start-up:\n${log()}`);
    if (await controller.ready()) break;
    if (Date.now() > deadline) throw new Error(`the controller was not ready after 90 s:\n${log()}`);
    await sleep(250);
  }
  await routeWebhookTo(plane, controller.ports.webhook, caPem);
  const metricsPort = controller.ports.metrics;
  return {
    process: controller.process,
    logFile,
    metricsPort,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    log,
    stop: () => controller.process.stop(),
  };
}

/** The distinct refusals (403, a permission the install lacks) in the controller's log, by their message. */
export function refusals(log: string): string[] {
  const messages = log.split("\n").flatMap((line) => {
    let entry: { msg?: string; err?: { message?: string; statusCode?: number; reason?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      return /\b403\b|forbidden/i.test(line) ? [line] : [];
    }
    // Judge the error a line carries, not every number in it (a resourceVersion may well read 403).
    const err = entry.err;
    const refused =
      err?.statusCode === 403 ||
      err?.reason === "Forbidden" ||
      /forbidden/i.test(`${err?.message ?? ""} ${entry.msg ?? ""}`);
    return refused ? [err?.message ?? entry.msg ?? line] : [];
  });
  return [...new Set(messages)];
}
