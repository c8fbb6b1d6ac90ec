/**
 * The leader-for-life lock (`--leader-elect-type=life`) on a real API server: a ConfigMap owned by the leader's
 * Pod. Pods here never run (no kubelet), but the Pod objects exist, which is all the lock looks at. The candidates
 * authenticate as the controller's ServiceAccount with only the install's leader-election Role, so a call that
 * Role does not grant fails the test.
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import type { KubernetesObject, V1ConfigMap, V1Pod } from "@kubernetes/client-node";
import { KubeConfig } from "@kubernetes/client-node";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CONFIG_MAPS, PODS } from "../../src/apis/resource-types.js";
import { KubeClient, resourcePath } from "../../src/controller-runtime/kube-client.js";
import { LeaderForLife } from "../../src/controller-runtime/leader-election/for-life.js";
import { createMetricsRegistry } from "../../src/controller-runtime/metrics.js";
import { eventually } from "../support/async/eventually.js";
import { kubeconfigForUser, REPO_ROOT } from "../support/control-plane/index.js";
import { suiteNamespace } from "../support/kube/namespaces.js";
import { RBAC_KINDS } from "../support/kube/resource-types.js";

const LOCK = "modelmesh-controller-leader-for-life-lock";

const { client, namespace } = suiteNamespace("runtime-life");
/** The controller's ServiceAccount, with nothing but the leader-election Role of config/rbac. */
let controllerClient: KubeClient;

beforeAll(async () => {
  const manifests = readFileSync(
    path.join(REPO_ROOT, "config/rbac/common/leader-election-role.yaml"),
    "utf8",
  );
  for (const document of parseAllDocuments(manifests)) {
    const object = document.toJS() as KubernetesObject & { subjects?: Array<Record<string, string>> };
    const type = RBAC_KINDS[object.kind ?? ""];
    if (type === undefined) throw new Error(`unexpected ${object.kind} in the leader-election Role`);
    for (const subject of object.subjects ?? []) subject.namespace = namespace;
    await client.create(type, { ...object, metadata: { ...object.metadata, namespace } });
  }
  const controllerKubeConfig = new KubeConfig();
  controllerKubeConfig.loadFromFile(
    await kubeconfigForUser(
      inject("kubeconfigPath"),
      `system:serviceaccount:${namespace}:modelmesh-controller`,
    ),
  );
  controllerClient = new KubeClient(controllerKubeConfig, createMetricsRegistry().metrics);
});

async function createPod(name: string): Promise<V1Pod> {
  return client.create<V1Pod>(PODS, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { containers: [{ name: "manager", image: "modelmesh-controller:test" }] },
  });
}

function candidate(podName: string) {
  const events: string[] = [];
  const { registry, metrics } = createMetricsRegistry();
  const lock = new LeaderForLife({
    client: controllerClient,
    namespace,
    name: LOCK,
    podName,
    retryPeriodMs: 200,
    metrics,
  });
  lock.start({
    onStartedLeading: () => {
      events.push("started");
    },
    onStoppedLeading: () => {
      events.push("stopped");
    },
  });
  return { lock, events, registry };
}

async function lockOwner(): Promise<string | undefined> {
  const lock = await client.get<V1ConfigMap>(CONFIG_MAPS, LOCK, namespace);
  return lock?.metadata?.ownerReferences?.map((ref) => `${ref.kind}/${ref.name}`).join(",");
}

describe("LeaderForLife", () => {
  it("waits while the owner pod lives, takes over once it is deleted or evicted, releases on stop", async () => {
    const podA = await createPod("controller-a");
    await createPod("controller-b");
    await createPod("controller-c");

    const a = candidate("controller-a");
    await eventually(() => a.lock.isLeader(), "a to lead", 10_000);
    expect(await lockOwner()).toBe("Pod/controller-a");
    const lock = await client.get<V1ConfigMap>(CONFIG_MAPS, LOCK, namespace);
    expect(lock?.metadata?.ownerReferences?.[0]?.uid).toBe(podA.metadata?.uid);
    expect(await a.registry.metrics()).toContain(`leader_election_master_status{name="${LOCK}"} 1`);

    // A restarted container of the same pod finds the lock its own at once.
    const aAgain = candidate("controller-a");
    await eventually(() => aAgain.lock.isLeader(), "the same pod to lead again", 5_000);

    const b = candidate("controller-b");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(b.lock.isLeader()).toBe(false);
    expect(await b.registry.metrics()).toContain(`leader_election_master_status{name="${LOCK}"} 0`);

    // The owner pod is gone (no garbage collector runs here, so the lock stays until b removes it).
    await client.delete(PODS, "controller-a", namespace);
    await eventually(() => b.lock.isLeader(), "b to take over from the deleted pod", 10_000);
    expect(await lockOwner()).toBe("Pod/controller-b");

    // The owner pod was evicted: it still exists but never runs again.
    const c = candidate("controller-c");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(c.lock.isLeader()).toBe(false);
    await client.request({
      method: "PATCH",
      path: resourcePath(PODS, { namespace, name: "controller-b", subresource: "status" }),
      body: {
        status: { phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." },
      },
      contentType: "application/merge-patch+json",
    });
    await eventually(() => c.lock.isLeader(), "c to take over from the evicted pod", 10_000);
    expect(await lockOwner()).toBe("Pod/controller-c");

    // A leader for life never steps down on its own; a graceful stop deletes the lock.
    expect([a.events, b.events, c.events]).toEqual([["started"], ["started"], ["started"]]);
    await c.lock.stop();
    expect(await client.get(CONFIG_MAPS, LOCK, namespace)).toBeUndefined();
    await Promise.all([a.lock.stop(), aAgain.lock.stop(), b.lock.stop()]);
  });
});
