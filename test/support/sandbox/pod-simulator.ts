/**
 * TEST INFRASTRUCTURE. The kubelet's part that the sandbox needs, and nothing more: no kubelet runs here, so this
 * reports every runtime Deployment's wanted replicas as ready (status subresource), which is what the emulator
 * and the controller read as "runtime pods are up".
 */
import {
  AppsV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  Watch,
} from "@kubernetes/client-node";
import { LABELS } from "../../../src/builders/constants.js";
import { createLogger } from "../../../src/controller-runtime/logging.js";

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

/** Watches runtime Deployments in `namespace` and marks them ready until `stop()`. */
export function simulateRuntimePods(kubeConfig: KubeConfig, namespace: string): { stop(): void } {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  let abort: AbortController | undefined;
  let stopped = false;

  const markReady = async (deployment: V1Deployment) => {
    if (!needsUpdate(deployment) || !deployment.metadata?.name) return;
    try {
      await apps.patchNamespacedDeploymentStatus(
        { name: deployment.metadata.name, namespace, body: { status: readyStatus(deployment) } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (error) {
      log.warn({ deployment: deployment.metadata.name, error: String(error) }, "could not mark ready");
    }
  };

  const run = async () => {
    while (!stopped) {
      try {
        const list = await apps.listNamespacedDeployment({
          namespace,
          labelSelector: LABELS.modelMeshService,
        });
        for (const deployment of list.items) await markReady(deployment);
        await new Promise<void>((resolve) => {
          void new Watch(kubeConfig)
            .watch(
              `/apis/apps/v1/namespaces/${namespace}/deployments`,
              { labelSelector: LABELS.modelMeshService, resourceVersion: list.metadata?.resourceVersion },
              (phase, object: V1Deployment) => {
                if (phase === "ADDED" || phase === "MODIFIED") void markReady(object);
              },
              () => resolve(),
            )
            .then((controller) => {
              abort = controller;
            });
        });
      } catch (error) {
        log.warn({ error: String(error) }, "watch failed; retrying");
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  void run();
  return {
    stop: () => {
      stopped = true;
      abort?.abort();
    },
  };
}
