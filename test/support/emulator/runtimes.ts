/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator, never a data plane.
 * What model-mesh would know about its instances, read from the API server: one instance per replica of each
 * runtime Deployment of the Service (label `modelmesh-service`), named after the pod it would run in
 * (`pod-names.ts`), its labels from the `mm` container's `MM_LABELS`, up while its replica is ready (no kubelet
 * here: tests and the pod simulator set `status.readyReplicas`; replica i is ready when i < readyReplicas). Its
 * loading concurrency is the adapter's `LOADING_CONCURRENCY` where the rendered Deployment sets it, else 1 (the
 * adapters' own default for MLServer, OVMS and TorchServe). Type constraints come from `tc-config` as model-mesh
 * reads them, or follow the same rules from the runtimes' labels when it is absent.
 */
import type { KubeConfig, V1ConfigMap, V1Deployment } from "@kubernetes/client-node";
import { CONFIG_MAPS, DEPLOYMENTS } from "../../../src/apis/resource-types.js";
import { CONTAINERS, ENV, LABELS, OBJECTS } from "../../../src/builders/constants.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { testClient } from "../kube/clients.js";
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
}

export interface ClusterView {
  readonly instances: readonly EmulatedInstance[];
  /** The labels an instance needs to hold a model of this type. */
  readonly requiredLabels: (modelType: string) => readonly string[];
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
  return Array.from({ length: replicas }, (_, replica) => {
    const pod = podName(name, hash, replica);
    return {
      id: instanceIdOf(pod),
      pod,
      deployment: name,
      labels,
      ready: replica < ready,
      loadingThreads: threads,
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
    const configured = await this.configuredConstraints();
    const requiredLabels = configured
      ? (modelType: string) => (configured[modelType] ?? configured[DEFAULT_CONSTRAINT_KEY])?.required ?? []
      : derivedRequirements(instances);
    return { instances, requiredLabels };
  }

  private async configuredConstraints(): Promise<Record<string, { required?: string[] }> | undefined> {
    const map = await this.client.get<V1ConfigMap>(
      CONFIG_MAPS,
      OBJECTS.typeConstraintsConfigMap,
      this.namespace,
    );
    if (map === undefined) return undefined;
    const encoded = map.binaryData?.[OBJECTS.typeConstraintsKey];
    const text = encoded
      ? Buffer.from(encoded, "base64").toString("utf8")
      : map.data?.[OBJECTS.typeConstraintsKey];
    return text ? (JSON.parse(text) as Record<string, { required?: string[] }>) : undefined;
  }
}

/** The ready instances a model of `type` may be placed on, or model-mesh's failure message when there is none. */
export function eligibleInstances(view: ClusterView, type: string): EmulatedInstance[] | string {
  const required = view.requiredLabels(type);
  const eligible = view.instances.filter((i) => i.ready && required.every((label) => i.labels.has(label)));
  return eligible.length > 0 ? eligible : noRunningInstancesMessage(type, required);
}
