/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator, never a data plane.
 * What model-mesh would know about its instances, read from the API server: one instance per runtime Deployment
 * of the Service (label `modelmesh-service`), its labels from the `mm` container's `MM_LABELS`, up while the
 * Deployment has ready replicas (no kubelet here: tests set `status.readyReplicas`). Type constraints come from
 * `tc-config` as model-mesh reads them, or follow the same rules from the runtimes' labels when it is absent.
 */
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { CONTAINERS, ENV, LABELS, OBJECTS } from "../../../src/modelmesh/constants.js";

export interface EmulatedInstance {
  /** Instance id: the last 12 characters, like model-mesh's pod-name suffix. */
  readonly id: string;
  readonly deployment: string;
  readonly labels: ReadonlySet<string>;
  readonly ready: boolean;
}

export interface ClusterView {
  readonly instances: readonly EmulatedInstance[];
  /** The labels an instance needs to hold a model of this type. */
  readonly requiredLabels: (modelType: string) => readonly string[];
}

/** The fallback of model-mesh's type-constraint file; `_no_runtime` is a label no instance carries. */
export const DEFAULT_CONSTRAINT_KEY = "_default";
export const NO_RUNTIME_LABEL = "_no_runtime";

function instanceOf(deployment: V1Deployment): EmulatedInstance | undefined {
  const name = deployment.metadata?.name;
  const mm = deployment.spec?.template.spec?.containers.find((c) => c.name === CONTAINERS.modelMesh);
  if (!name || !mm) return undefined;
  const labels = (mm.env?.find((e) => e.name === ENV.labels)?.value ?? "")
    .split(",")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return {
    id: name.slice(-12),
    deployment: name,
    labels: new Set(labels),
    ready: (deployment.status?.readyReplicas ?? 0) > 0,
  };
}

/** The rules model-serving writes into tc-config: a type's `|`-separated parts if some runtime has them all. */
export function derivedRequirements(instances: readonly EmulatedInstance[]): (modelType: string) => string[] {
  return (modelType) => {
    const parts = modelType.split("|");
    return instances.some((i) => parts.every((p) => i.labels.has(p))) ? parts : [NO_RUNTIME_LABEL];
  };
}

export class RuntimeDirectory {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly serviceName: string,
  ) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async view(): Promise<ClusterView> {
    const deployments = await this.apps.listNamespacedDeployment({
      namespace: this.namespace,
      labelSelector: `${LABELS.modelMeshService}=${this.serviceName}`,
    });
    const instances = deployments.items.flatMap((d) => instanceOf(d) ?? []);
    const configured = await this.configuredConstraints();
    const requiredLabels = configured
      ? (modelType: string) => (configured[modelType] ?? configured[DEFAULT_CONSTRAINT_KEY])?.required ?? []
      : derivedRequirements(instances);
    return { instances, requiredLabels };
  }

  private async configuredConstraints(): Promise<Record<string, { required?: string[] }> | undefined> {
    try {
      const map = await this.core.readNamespacedConfigMap({
        namespace: this.namespace,
        name: OBJECTS.typeConstraintsConfigMap,
      });
      const encoded = map.binaryData?.[OBJECTS.typeConstraintsKey];
      const text = encoded
        ? Buffer.from(encoded, "base64").toString("utf8")
        : map.data?.[OBJECTS.typeConstraintsKey];
      return text ? (JSON.parse(text) as Record<string, { required?: string[] }>) : undefined;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }
}

/**
 * The ready instances a model of `type` may be placed on, or the failure message model-mesh gives when there is
 * none: "There are no running instances that meet the label requirements of type <t>: [<labels>]".
 */
export function eligibleInstances(view: ClusterView, type: string): EmulatedInstance[] | string {
  const required = view.requiredLabels(type);
  const eligible = view.instances.filter((i) => i.ready && required.every((label) => i.labels.has(label)));
  if (eligible.length > 0) return eligible;
  return `There are no running instances that meet the label requirements of type ${type}: [${required.join(", ")}]`;
}
