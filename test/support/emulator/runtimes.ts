/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator, never a data plane.
 * What model-mesh would know about its instances, read from the API server: one instance per replica of each
 * runtime Deployment of the Service (label `modelmesh-service`), named after the pod it would run in
 * (`pod-names.ts`), its labels from the `mm` container's `MM_LABELS`, up while its replica is ready (no kubelet
 * here: tests and the pod simulator set `status.readyReplicas`; replica i is ready when i < readyReplicas). Its
 * loading concurrency is the adapter's `LOADING_CONCURRENCY` where the rendered Deployment sets it, else 1 (the
 * adapters' own default for MLServer, OVMS and TorchServe). Its model server is the built-in adapter's server type
 * when the pod runs both the server's container and its adapter (`mlserver` with `mlserver-adapter`). Type
 * constraints and the data-plane API config come from `tc-config` as model-mesh reads them; without it, type
 * constraints follow the same rules from the runtimes' labels, and every inference method routes by headers.
 */
import type { KubeConfig, V1ConfigMap, V1Deployment } from "@kubernetes/client-node";
import { CONFIG_MAPS, DEPLOYMENTS } from "../../../src/apis/resource-types.js";
import { CONTAINERS, ENV, LABELS, OBJECTS } from "../../../src/builders/constants.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { testClient } from "../kube/clients.js";
import { DataplaneApiConfig } from "./dataplane-config.js";
import { noRunningInstancesMessage } from "./failure-messages.js";
import { instanceIdOf, podName, podTemplateHash } from "./pod-names.js";

export interface EmulatedInstance {
  /** model-mesh's instance id: the last 12 characters of the pod name. */
  readonly id: string;
  readonly pod: string;
  readonly deployment: string;
  readonly labels: ReadonlySet<string>;
  readonly ready: boolean;
  /** model-mesh's `maxLoadingConcurrency` (published as `lThreads`). */
  readonly loadingThreads: number;
  /** The built-in adapter's server type (e.g. `mlserver`) when the pod runs one, else undefined. */
  readonly modelServer: string | undefined;
}

export interface ClusterView {
  readonly instances: readonly EmulatedInstance[];
  /** The labels an instance needs to hold a model of this type. */
  readonly requiredLabels: (modelType: string) => readonly string[];
  /** Where inference requests carry their model id. */
  readonly dataplane: DataplaneApiConfig;
}

/** The fallback of model-mesh's type-constraint file; `_no_runtime` is a label no instance carries. */
export const DEFAULT_CONSTRAINT_KEY = "_default";
export const NO_RUNTIME_LABEL = "_no_runtime";

const DEFAULT_LOADING_THREADS = 1;

function loadingThreads(deployment: V1Deployment): number {
  for (const container of deployment.spec?.template.spec?.containers ?? []) {
    const value = Number(container.env?.find((e) => e.name === ENV.loadingConcurrency)?.value);
    if (Number.isInteger(value) && value > 0) return value;
  }
  return DEFAULT_LOADING_THREADS;
}

function modelServerOf(deployment: V1Deployment): string | undefined {
  const names = new Set((deployment.spec?.template.spec?.containers ?? []).map((c) => c.name));
  for (const name of names) {
    if (name.endsWith(CONTAINERS.adapterSuffix)) {
      const server = name.slice(0, -CONTAINERS.adapterSuffix.length);
      if (names.has(server)) return server;
    }
  }
  return undefined;
}

function instancesOf(deployment: V1Deployment): EmulatedInstance[] {
  const name = deployment.metadata?.name;
  const template = deployment.spec?.template;
  const mm = template?.spec?.containers.find((c) => c.name === CONTAINERS.modelMesh);
  if (!name || !mm) return [];
  const labels = new Set(
    (mm.env?.find((e) => e.name === ENV.labels)?.value ?? "")
      .split(",")
      .map((l) => l.trim())
      .filter((l) => l !== ""),
  );
  const ready = deployment.status?.readyReplicas ?? 0;
  const replicas = Math.max(deployment.spec?.replicas ?? 1, ready);
  const hash = podTemplateHash(template);
  const threads = loadingThreads(deployment);
  const modelServer = modelServerOf(deployment);
  return Array.from({ length: replicas }, (_, replica) => {
    const pod = podName(name, hash, replica);
    return {
      id: instanceIdOf(pod),
      pod,
      deployment: name,
      labels,
      ready: replica < ready,
      loadingThreads: threads,
      modelServer,
    };
  });
}

/** The rules model-serving writes into tc-config: a type's `|`-separated parts if some runtime has them all. */
export function derivedRequirements(instances: readonly EmulatedInstance[]): (modelType: string) => string[] {
  return (modelType) => {
    const parts = modelType.split("|");
    return instances.some((i) => parts.every((p) => i.labels.has(p))) ? parts : [NO_RUNTIME_LABEL];
  };
}

export class RuntimeDirectory {
  private readonly client: KubeClient;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly serviceName: string,
  ) {
    this.client = testClient(kubeConfig);
  }

  async view(): Promise<ClusterView> {
    const deployments = await this.client.list<V1Deployment>(DEPLOYMENTS, {
      namespace: this.namespace,
      labelSelector: `${LABELS.modelMeshService}=${this.serviceName}`,
    });
    const instances = deployments.items.flatMap(instancesOf);
    const config = await this.modelMeshConfig();
    const constraints = config.get(OBJECTS.typeConstraintsKey);
    const configured = constraints
      ? (JSON.parse(constraints) as Record<string, { required?: string[] }>)
      : undefined;
    const requiredLabels = configured
      ? (modelType: string) => (configured[modelType] ?? configured[DEFAULT_CONSTRAINT_KEY])?.required ?? []
      : derivedRequirements(instances);
    const dataplaneJson = config.get(OBJECTS.dataplaneConfigKey);
    const dataplane = dataplaneJson ? DataplaneApiConfig.parse(dataplaneJson) : DataplaneApiConfig.NONE;
    return { instances, requiredLabels, dataplane };
  }

  /** The files of `tc-config` model-mesh reads (none when the ConfigMap does not exist). */
  private async modelMeshConfig(): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    const map = await this.client.get<V1ConfigMap>(
      CONFIG_MAPS,
      OBJECTS.typeConstraintsConfigMap,
      this.namespace,
    );
    for (const [key, value] of Object.entries(map?.data ?? {})) files.set(key, value);
    for (const [key, value] of Object.entries(map?.binaryData ?? {}))
      files.set(key, Buffer.from(value, "base64").toString("utf8"));
    return files;
  }
}

/** The ready instances a model of `type` may be placed on, or model-mesh's failure message when there is none. */
export function eligibleInstances(view: ClusterView, type: string): EmulatedInstance[] | string {
  const required = view.requiredLabels(type);
  const eligible = view.instances.filter((i) => i.ready && required.every((label) => i.labels.has(label)));
  return eligible.length > 0 ? eligible : noRunningInstancesMessage(type, required);
}
