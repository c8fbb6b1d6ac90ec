/**
 * A namespace with a ModelMesh emulator behind its `modelmesh-serving` EndpointSlice, runtime Deployments the
 * emulator places on, and the model controller running over the real shared context (namespace scope, so the
 * suite serves only its own namespace). Statuses are recorded from a watch, as the API server stores them.
 */

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { KubeConfig, KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import type { Etcd3 } from "etcd3";
import type { ResourceType } from "../../../src/apis/resource-types.js";
import {
  DEPLOYMENTS,
  INFERENCE_SERVICES,
  NAMESPACES,
  PREDICTORS,
  SECRETS,
} from "../../../src/apis/resource-types.js";
import { CONTAINERS, controllerLabels, ENV, LABELS } from "../../../src/builders/constants.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import type { ProcessContext } from "../../../src/controllers/context/create-context.js";
import { meshServicePrefix } from "../../../src/modelmesh-client/registry/etcd-connection.js";
import { type InProcessController, startInProcessController } from "../controller/in-process.js";
import { etcdSecret, SERVICE_NAME } from "../controller/user-config.js";
import { exposeEmulator, ModelMeshEmulator } from "../emulator/index.js";
import { meshEtcdClient } from "../etcd/client.js";
import { loadKubeConfig, testClient } from "../kube/clients.js";
import { installCrds } from "../kube/crds.js";
import { createNamespace } from "../kube/namespaces.js";
import type { Relay } from "../network/test-host.js";

/** What a kubelet would report once `readyReplicas` of the runtime Deployment's one replica are ready. */
export async function setReadyReplicas(
  client: KubeClient,
  namespace: string,
  name: string,
  readyReplicas: number,
): Promise<void> {
  await client.mergePatch(
    DEPLOYMENTS,
    { namespace, name, subresource: "status" },
    { status: { replicas: 1, readyReplicas, availableReplicas: readyReplicas, updatedReplicas: 1 } },
  );
}

export function runtimeDeployment(
  namespace: string,
  runtime: string,
  labels: readonly string[],
): V1Deployment {
  const name = `${SERVICE_NAME}-${runtime}`;
  const selector = { [LABELS.modelMeshService]: SERVICE_NAME, [LABELS.name]: name };
  return {
    metadata: { name, namespace, labels: { ...selector, ...controllerLabels() } },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector },
        spec: {
          containers: [
            {
              name: CONTAINERS.modelMesh,
              image: "kserve/modelmesh:test",
              env: [{ name: ENV.labels, value: labels.join(",") }],
            },
          ],
        },
      },
    },
  };
}

/** Every distinct status a watch saw, in order, per object name. */
export class StatusRecorder {
  readonly statuses = new Map<string, unknown[]>();
  readonly #abort = new AbortController();
  #done: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: KubeClient,
    private readonly type: ResourceType,
    private readonly namespace: string,
  ) {}

  start(): void {
    this.#done = this.#run();
  }

  async #run(): Promise<void> {
    let resourceVersion: string | undefined;
    while (!this.#abort.signal.aborted) {
      try {
        await this.client.watch(
          this.type,
          { namespace: this.namespace, resourceVersion, timeoutSeconds: 600 },
          (event) => {
            if (event.type === "BOOKMARK" || event.type === "ERROR") return;
            resourceVersion = event.object.metadata?.resourceVersion;
            const name = event.object.metadata?.name ?? "";
            const status = (event.object as KubernetesObject & { status?: unknown }).status;
            const seen = this.statuses.get(name) ?? [];
            if (seen.length === 0 || JSON.stringify(seen.at(-1)) !== JSON.stringify(status))
              seen.push(status);
            this.statuses.set(name, seen);
          },
          this.#abort.signal,
        );
      } catch {
        if (this.#abort.signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  of(name: string): unknown[] {
    return this.statuses.get(name) ?? [];
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }
}

export interface ModelHarness {
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  readonly namespace: string;
  readonly etcd: Etcd3;
  readonly servicePrefix: string;
  readonly emulator: ModelMeshEmulator;
  readonly predictors: StatusRecorder;
  readonly inferenceServices: StatusRecorder;
  context: ProcessContext | undefined;
  startController(): Promise<void>;
  stopController(): Promise<void>;
  /** Creates the runtime's Deployment, its model-mesh containers labelled `labels`; none is ready yet. */
  addRuntime(runtime: string, labels: readonly string[]): Promise<void>;
  setReady(runtime: string, readyReplicas: number): Promise<void>;
  vmodel(name: string): Promise<Record<string, unknown> | undefined>;
  registry(modelId: string): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

export async function startModelHarness(options: {
  kubeconfigPath: string;
  etcdEndpoint: string;
  modelPaths: readonly string[];
  loadTimeMs?: number;
  /** False: no EndpointSlice names the emulator (its loopback port is still open); true by default. */
  exposeThroughService?: boolean;
}): Promise<ModelHarness> {
  await installCrds(options.kubeconfigPath);
  const kubeConfig = loadKubeConfig(options.kubeconfigPath);
  const client = testClient(kubeConfig);
  const namespace = await createNamespace(client, "model");
  const rootPrefix = `model-it-${namespace}`;
  await client.create(SECRETS, etcdSecret(namespace, { endpoints: options.etcdEndpoint, rootPrefix }));
  const modelsDir = mkdtempSync(path.join(tmpdir(), "model-it-"));
  for (const modelPath of options.modelPaths) mkdirSync(path.join(modelsDir, modelPath), { recursive: true });
  const etcd = meshEtcdClient(options.etcdEndpoint);
  const servicePrefix = meshServicePrefix(rootPrefix, namespace, namespace, SERVICE_NAME);
  const emulator = await ModelMeshEmulator.start({
    kubeConfig,
    namespace,
    etcd,
    servicePrefix,
    modelsDir,
    loadTimeMs: options.loadTimeMs ?? 300,
    refreshMs: 200,
  });
  const relay: Relay | undefined =
    options.exposeThroughService === false
      ? undefined
      : await exposeEmulator(kubeConfig, emulator, { namespace });
  const predictors = new StatusRecorder(client, PREDICTORS, namespace);
  const inferenceServices = new StatusRecorder(client, INFERENCE_SERVICES, namespace);
  predictors.start();
  inferenceServices.start();

  const record = async (key: string) => {
    const text = await etcd.get(key).string();
    return text === null ? undefined : (JSON.parse(text) as Record<string, unknown>);
  };

  let controller: InProcessController | undefined;
  const harness: ModelHarness = {
    kubeConfig,
    client,
    namespace,
    etcd,
    servicePrefix,
    emulator,
    predictors,
    inferenceServices,
    context: undefined,
    async startController() {
      controller = await startInProcessController({
        kubeConfig,
        scope: "namespace",
        controllerNamespace: namespace,
        features: { inferenceServices: true, clusterServingRuntimes: false, serviceMonitors: false },
        controllers: "model",
        // The process's default, so these suites see Events exactly as a running controller writes them.
        eventRepeatIntervalMs: 10_000,
      });
      harness.context = controller.ctx;
    },
    async stopController() {
      await controller?.stop();
      controller = undefined;
      harness.context = undefined;
    },
    async addRuntime(runtime, labels) {
      await client.create(DEPLOYMENTS, runtimeDeployment(namespace, runtime, labels));
    },
    async setReady(runtime, readyReplicas) {
      const name = `${SERVICE_NAME}-${runtime}`;
      await setReadyReplicas(client, namespace, name, readyReplicas);
      // Like model-mesh, the emulator sees runtime pods a moment after the API server; tests start from its view.
      await emulator.waitForInstances((instances) =>
        instances.some((i) => i.deployment === name && i.ready === readyReplicas > 0),
      );
    },
    vmodel: (name) => record(`${servicePrefix}/vmodels/${name}`),
    registry: (modelId) => record(`${servicePrefix}/registry/${modelId}`),
    async close() {
      await harness.stopController();
      await predictors.stop();
      await inferenceServices.stop();
      await relay?.stop();
      await emulator.stop();
      await etcd.delete().prefix(rootPrefix);
      etcd.close();
      // Nothing removes our finalizers once the controller is gone.
      for (const type of [PREDICTORS, INFERENCE_SERVICES]) {
        const list = await client.list(type, { namespace }).catch(() => ({ items: [] }));
        for (const item of list.items) {
          await client
            .mergePatch(type, { namespace, name: item.metadata?.name }, { metadata: { finalizers: null } })
            .catch(() => undefined);
        }
      }
      await client.delete(NAMESPACES, namespace).catch(() => undefined);
      rmSync(modelsDir, { recursive: true, force: true });
    },
  };
  return harness;
}
