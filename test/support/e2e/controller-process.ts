/**
 * Runs `modelmesh-serving run` from source as a child process, the way the installed Deployment would run it: its
 * arguments and env come from the installed Deployment's `manager` container, and it authenticates as the
 * install's ServiceAccount (a client certificate for `system:serviceaccount:<ns>:modelmesh-controller` in the
 * service-account groups, which RBAC treats exactly as the ServiceAccount's token), so any permission the install
 * lacks fails the run. Only the listen addresses differ: loopback, free ports.
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { V1Deployment, V1EnvVar } from "@kubernetes/client-node";
import { DEPLOYMENTS } from "../../../src/apis/resource-types.js";
import { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../../src/controller-runtime/metrics.js";
import type { ControlPlane } from "../control-plane/index.js";
import { type ControllerProcess, startControllerProcess } from "../controller/process.js";
import { serviceAccountKubeconfig } from "../controller/service-account.js";
import { writeLoopbackWebhookCertificate } from "../controller/webhook.js";
import { kubectl } from "../install/install.js";
import { WEBHOOK_CONFIGURATION } from "./control-plane.js";

export const CONTROLLER_DEPLOYMENT = "modelmesh-controller";
const POD_NAME = "modelmesh-controller-e2e";

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
export async function startInstalledController(
  plane: ControlPlane,
  namespace: string,
): Promise<ControllerProcess> {
  const client = new KubeClient(plane.kubeConfig, createMetricsRegistry().metrics);
  const deployment = await client.get<V1Deployment>(DEPLOYMENTS, CONTROLLER_DEPLOYMENT, namespace);
  const manager = deployment?.spec?.template.spec?.containers.find((c) => c.name === "manager");
  if (manager === undefined) throw new Error("the installed controller Deployment has no manager container");
  const dir = mkdtempSync(path.join(tmpdir(), "mms-e2e-controller-"));
  const caPem = await writeLoopbackWebhookCertificate(
    path.join(path.dirname(plane.kubeconfigPath), "pki"),
    dir,
  );
  const controller = await startControllerProcess({
    args: manager.args ?? [],
    kubeconfig: await serviceAccountKubeconfig(plane.kubeconfigPath, namespace),
    webhookCertDir: dir,
    logFile: path.join(dir, "controller.log"),
    env: { ...resolveEnv(manager.env ?? [], namespace), LOG_LEVEL: "info" },
  });
  await controller.waitReady(90_000).catch((error: Error) => {
    throw new Error(`${error.message}:\n${controller.output()}`);
  });
  if (controller.ports !== undefined) await routeWebhookTo(plane, controller.ports.webhook, caPem);
  return controller;
}
