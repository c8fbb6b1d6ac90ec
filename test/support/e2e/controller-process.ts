/**
 * Runs `modelmesh-serving run` as a child process, the way the installed Deployment would run it: the bundle the
 * image ships, with the image's Node flags; its
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
import type { ControlPlane } from "../control-plane/index.js";
import { type ControllerProcess, startControllerProcess } from "../controller/process.js";
import { serviceAccountKubeconfig } from "../controller/service-account.js";
import { routeInstalledWebhookTo, writeLoopbackWebhookCertificate } from "../controller/webhook.js";
import { testClient } from "../kube/clients.js";
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

/** Starts the controller of the install in `namespace` and returns once it is ready and its webhook routed. */
export async function startInstalledController(
  plane: ControlPlane,
  namespace: string,
): Promise<ControllerProcess> {
  const client = testClient(plane.kubeConfig);
  const deployment = await client.get<V1Deployment>(DEPLOYMENTS, CONTROLLER_DEPLOYMENT, namespace);
  const manager = deployment?.spec?.template.spec?.containers.find((c) => c.name === "manager");
  if (manager === undefined) throw new Error("the installed controller Deployment has no manager container");
  const dir = mkdtempSync(path.join(tmpdir(), "mms-e2e-controller-"));
  const caPem = await writeLoopbackWebhookCertificate(
    path.join(path.dirname(plane.kubeconfigPath), "pki"),
    dir,
  );
  const controller = await startControllerProcess({
    command: "built",
    args: manager.args ?? [],
    kubeconfig: await serviceAccountKubeconfig(plane.kubeconfigPath, namespace),
    webhookCertDir: dir,
    logFile: path.join(dir, "controller.log"),
    env: { ...resolveEnv(manager.env ?? [], namespace), LOG_LEVEL: "info" },
  });
  await controller.waitReady(90_000).catch((error: Error) => {
    throw new Error(`${error.message}:\n${controller.output()}`);
  });
  if (controller.ports !== undefined)
    await routeInstalledWebhookTo(client, WEBHOOK_CONFIGURATION, controller.ports.webhook, caPem);
  return controller;
}
