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
import type { SetVModelRequest } from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { meshServicePrefix } from "../../../src/modelmesh-client/registry/etcd-connection.js";
import { type InProcessController, startInProcessController } from "../controller/in-process.js";
import { etcdSecret, SERVICE_NAME } from "../controller/user-config.js";
import {
  exposeEmulator,
  ModelMeshEmulator,
  type ModelMeshEmulatorOptions,
  publishEmulatorEndpoints,
} from "../emulator/index.js";
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

/**
 * A runtime Deployment with its model-mesh container labelled `labels`; with `modelServer` (e.g. `mlserver`) its
 * pods also run that server's container and its built-in adapter, as the controller renders them.
 */
export function runtimeDeployment(
  namespace: string,
  runtime: string,
  labels: readonly string[],
  modelServer?: string,
): V1Deployment {
  const name = `${SERVICE_NAME}-${runtime}`;
  const serverContainers =
    modelServer === undefined
      ? []
      : [
          { name: modelServer, image: `${modelServer}:test` },
          {
            name: `${modelServer}${CONTAINERS.adapterSuffix}`,
            image: "kserve/modelmesh-runtime-adapter:test",
          },
        ];
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
            ...serverContainers,
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
  /** The model store: model paths resolve inside it. */
  readonly modelsDir: string;
  /** The emulator of the moment (`restartEmulator` replaces it). */
  readonly emulator: ModelMeshEmulator;
  readonly predictors: StatusRecorder;
  readonly inferenceServices: StatusRecorder;
  context: ProcessContext | undefined;
  startController(): Promise<void>;
  stopController(): Promise<void>;
  /**
   * Creates the runtime's Deployment, its model-mesh containers labelled `labels`, its pods running `modelServer`
   * with its adapter if given; none is ready yet.
   */
  addRuntime(runtime: string, labels: readonly string[], modelServer?: string): Promise<void>;
  setReady(runtime: string, readyReplicas: number): Promise<void>;
  /**
   * Takes the mesh down as a pod restart does (endpoints not ready, process gone) for `downMs`, then starts a new
   * emulator on the same etcd, which drops the copies the registry lists. Under `exposeThroughService: false` the
   * new one listens on the old port.
   */
  restartEmulator(options: {
    downMs: number;
    startupDelayMs?: number;
    onSetVModel?: (request: SetVModelRequest) => void;
  }): Promise<void>;
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
  /** Real runtimes behind the emulator's instances (see `ModelMeshEmulatorOptions`). */
  runtimeServers?: ModelMeshEmulatorOptions["runtimeServers"];
  /** A REST port on the emulator (see `ModelMeshEmulatorOptions`). */
  restPort?: number;
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
  const exposed = options.exposeThroughService !== false;
  const startEmulator = (extra: Partial<ModelMeshEmulatorOptions> = {}) =>
    ModelMeshEmulator.start({
      kubeConfig,
      namespace,
      etcd,
      servicePrefix,
      modelsDir,
      loadTimeMs: options.loadTimeMs ?? 300,
      refreshMs: 200,
      ...(options.runtimeServers && { runtimeServers: options.runtimeServers }),
      ...(options.restPort !== undefined && { restPort: options.restPort }),
      ...extra,
    });
  let emulator = await startEmulator();
  let relay: Relay | undefined = exposed
    ? await exposeEmulator(kubeConfig, emulator, { namespace })
    : undefined;
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
    modelsDir,
    get emulator() {
      return emulator;
    },
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
    async addRuntime(runtime, labels, modelServer) {
      await client.create(DEPLOYMENTS, runtimeDeployment(namespace, runtime, labels, modelServer));
    },
    async setReady(runtime, readyReplicas) {
      const name = `${SERVICE_NAME}-${runtime}`;
      await setReadyReplicas(client, namespace, name, readyReplicas);
      // Like model-mesh, the emulator sees runtime pods a moment after the API server; tests start from its view.
      await emulator.waitForInstances((instances) =>
        instances.some((i) => i.deployment === name && i.ready === readyReplicas > 0),
      );
    },
    async restartEmulator({ downMs, startupDelayMs = 0, onSetVModel }) {
      const port = emulator.port;
      if (relay !== undefined) {
        await publishEmulatorEndpoints(kubeConfig, {
          namespace,
          host: relay.host,
          port: relay.port,
          ready: false,
        });
      }
      await emulator.stop();
      await relay?.stop();
      relay = undefined;
      await new Promise((resolve) => setTimeout(resolve, downMs));
      emulator = await startEmulator({
        startupDelayMs,
        ...(exposed ? {} : { port }),
        ...(onSetVModel && { onSetVModel }),
      });
      if (exposed) relay = await exposeEmulator(kubeConfig, emulator, { namespace });
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
