/**
 * `modelmesh-serving run --enable-leader-election --leader-elect-type=life` as a process on the shared control
 * plane (namespace scope): the pod named by POD_NAME owns the lock while the process leads; SIGTERM releases it;
 * a pod namespace other than the controller's and an unknown lock type end the process with status 1.
 */

import type { V1ConfigMap, V1Pod } from "@kubernetes/client-node";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { CONFIG_MAPS, PODS, SECRETS } from "../../src/apis/resource-types.js";
import type { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { eventually } from "../support/async/eventually.js";
import { freePort } from "../support/control-plane/index.js";
import { type ControllerProcess, startControllerProcess } from "../support/controller/process.js";
import { etcdSecret } from "../support/controller/user-config.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { installCrds } from "../support/kube/crds.js";
import { createNamespace } from "../support/kube/namespaces.js";

const kubeconfigPath = inject("kubeconfigPath");
const LOCK = "modelmesh-controller-leader-for-life-lock";

/** `run` with exactly these flags (listening where they say), as a user starts it. */
function run(args: string[], env: Record<string, string>): Promise<ControllerProcess> {
  return startControllerProcess({
    kubeconfig: kubeconfigPath,
    listen: "as-given",
    args: ["run", ...args],
    env: { LOG_LEVEL: "info", ...env },
  });
}

let client: KubeClient;
let namespace: string;

beforeAll(async () => {
  client = testClient(loadKubeConfig(kubeconfigPath));
  await installCrds(kubeconfigPath);
  namespace = await createNamespace(client, "run-life");
  await client.create(SECRETS, etcdSecret(namespace));
});

describe("modelmesh-serving run --leader-elect-type=life", () => {
  it("leads while its pod owns the lock, and releases it on SIGTERM", async () => {
    const pod = await client.create<V1Pod>(PODS, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "modelmesh-controller-5d8f7c9b6-x2x9z", namespace },
      spec: { containers: [{ name: "manager", image: "modelmesh-controller:test" }] },
    });
    const metricsPort = await freePort();
    const controller = await run(
      [
        `--metrics-addr=127.0.0.1:${metricsPort}`,
        "--health-probe-bind-address=0",
        "--webhook-port=0",
        "--webhook-cert-dir=/nonexistent",
        "--enable-leader-election",
        "--leader-elect-type=life",
      ],
      {
        NAMESPACE: namespace,
        NAMESPACE_SCOPE: "true",
        POD_NAME: pod.metadata?.name ?? "",
        POD_NAMESPACE: namespace,
      },
    );
    try {
      const leading = async () =>
        fetch(`http://127.0.0.1:${metricsPort}/metrics`)
          .then((r) => r.text())
          .then((text) => text.includes(`leader_election_master_status{name="${LOCK}"} 1`) || undefined)
          .catch(() => undefined);
      await eventually(leading, "the process to lead", 60_000);
      const lock = await client.get<V1ConfigMap>(CONFIG_MAPS, LOCK, namespace);
      expect(lock?.metadata?.ownerReferences).toEqual([
        { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name, uid: pod.metadata?.uid },
      ]);
    } finally {
      controller.signal("SIGTERM");
    }
    expect(await controller.exited, controller.output()).toBe(0);
    expect(await client.get(CONFIG_MAPS, LOCK, namespace)).toBeUndefined();
  });

  it("exits 1 when the pod's namespace is not the controller's", async () => {
    const controller = await run(["--enable-leader-election", "--leader-elect-type=life"], {
      NAMESPACE: namespace,
      POD_NAME: "modelmesh-controller-5d8f7c9b6-x2x9z",
      POD_NAMESPACE: "elsewhere",
    });
    expect(await controller.exited).toBe(1);
    expect(controller.output()).toContain("must be the controller namespace");
  });

  it("exits 1 with upstream's message for an unknown lock type", async () => {
    const controller = await run(["--enable-leader-election", "--leader-elect-type=configmaps"], {});
    expect(await controller.exited).toBe(1);
    expect(controller.output()).toContain(
      "Invalid value for leader-elect-type: 'configmaps'. Use 'lease' or 'life'",
    );
  });
});
