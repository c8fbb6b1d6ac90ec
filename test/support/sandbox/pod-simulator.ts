/**
 * TEST INFRASTRUCTURE. The kubelet's part that the sandbox needs, and nothing more: no kubelet runs here, so this
 * reports every runtime Deployment's wanted replicas as ready (status subresource), which is what the emulator
 * and the controller read as "runtime pods are up".
 */
import type { KubeConfig, V1Deployment } from "@kubernetes/client-node";
import { DEPLOYMENTS } from "../../../src/apis/resource-types.js";
import { LABELS } from "../../../src/builders/constants.js";
import { Informer, listWatchFor } from "../../../src/controller-runtime/informer.js";
import { createLogger } from "../../../src/controller-runtime/logging.js";
import { testClient } from "../kube/clients.js";

const log = createLogger("sandbox.PodSimulator");

function readyStatus(deployment: V1Deployment) {
  const replicas = deployment.spec?.replicas ?? 1;
  return {
    observedGeneration: deployment.metadata?.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
  };
}

function needsUpdate(deployment: V1Deployment): boolean {
  const wanted = readyStatus(deployment);
  const status = deployment.status ?? {};
  return (
    (status.readyReplicas ?? 0) !== wanted.readyReplicas ||
    (status.replicas ?? 0) !== wanted.replicas ||
    status.observedGeneration !== wanted.observedGeneration
  );
}

/** Watches runtime Deployments in `namespace` (an informer, as the controller's) and marks them ready until `stop()`. */
export function simulateRuntimePods(kubeConfig: KubeConfig, namespace: string): { stop(): void } {
  const client = testClient(kubeConfig);
  const markReady = async (deployment: V1Deployment) => {
    if (!needsUpdate(deployment) || !deployment.metadata?.name) return;
    try {
      await client.mergePatch(
        DEPLOYMENTS,
        { namespace, name: deployment.metadata.name, subresource: "status" },
        { status: readyStatus(deployment) },
      );
    } catch (error) {
      log.warn({ deployment: deployment.metadata.name, error: String(error) }, "could not mark ready");
    }
  };
  const deployments = new Informer<V1Deployment>({
    type: DEPLOYMENTS,
    listWatcher: listWatchFor(client, DEPLOYMENTS),
    namespace,
    labelSelector: LABELS.modelMeshService,
  });
  deployments.addEventHandler({
    onAdd: (deployment) => void markReady(deployment),
    onUpdate: (_before, after) => void markReady(after),
  });
  deployments.start();
  return { stop: () => void deployments.stop() };
}
