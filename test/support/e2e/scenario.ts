/**
 * The end-to-end scenario shared by the install suites: an install (kustomize or Helm, either scope) on its own
 * control plane, the controller from source as the install's ServiceAccount, a ModelMesh per served namespace,
 * then what a user applies: the etcd Secret, `config/samples` and `config/example-isvcs` in the controller
 * namespace, and in cluster scope a second, labelled namespace whose model uses a ClusterServingRuntime.
 */

import { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../../src/controller-runtime/metrics.js";
import type { ControlPlane } from "../control-plane/index.js";
import type { ControllerProcess } from "../controller/process.js";
import { ETCD_SECRET_NAME } from "../controller/user-config.js";
import {
  asYamlStream,
  type Install,
  type InstalledObject,
  type InstallMethod,
  installWithHelm,
  installWithKustomize,
  kubectl,
  kustomize,
  type Scope,
} from "../install/install.js";
import { namespaceObject } from "../kube/namespaces.js";
import { startE2eControlPlane } from "./control-plane.js";
import { startInstalledController } from "./controller-process.js";
import { createEtcdSecret, ModelStore, type ServedMesh, startMesh } from "./mesh.js";

/** The labelled namespace a cluster-scope install also serves. */
export const SECOND_NAMESPACE = "team-a";
export const SECOND_NAMESPACE_PREDICTOR = "team-a-sklearn";

export interface Scenario {
  readonly plane: ControlPlane;
  readonly install: Install;
  readonly controller: ControllerProcess;
  /** An admin client. */
  readonly client: KubeClient;
  readonly store: ModelStore;
  readonly meshes: ServedMesh[];
  /** Every model applied, with its namespace. */
  readonly models: InstalledObject[];
  readonly runtimeKind: "ClusterServingRuntime" | "ServingRuntime";
  stop(): Promise<void>;
}

function inNamespace(objects: readonly InstalledObject[], namespace: string): InstalledObject[] {
  return objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
}

const isModel = (o: InstalledObject) => o.kind === "Predictor" || o.kind === "InferenceService";

function secondNamespaceObjects(storageSecret: InstalledObject | undefined): InstalledObject[] {
  return [
    namespaceObject(SECOND_NAMESPACE, { "modelmesh-enabled": "true" }) as InstalledObject,
    ...(storageSecret ? inNamespace([storageSecret], SECOND_NAMESPACE) : []),
    {
      apiVersion: "serving.kserve.io/v1alpha1",
      kind: "Predictor",
      metadata: { name: SECOND_NAMESPACE_PREDICTOR, namespace: SECOND_NAMESPACE },
      spec: {
        modelType: { name: "sklearn" },
        path: "team-a/sklearn/model.joblib",
        storage: { key: "localMinIO" },
      },
    },
  ];
}

export async function startScenario(method: InstallMethod, scope: Scope): Promise<Scenario> {
  const plane = await startE2eControlPlane();
  const stops: (() => Promise<void>)[] = [() => plane.stop()];
  /** In reverse order of start. */
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const install =
      method === "kustomize"
        ? await installWithKustomize(plane, scope)
        : await installWithHelm(plane, scope, "mms-helm", plane.caCertPem);
    const namespace = install.namespace;
    await createEtcdSecret(plane, namespace);

    const store = new ModelStore();
    stops.push(async () => store.remove());

    const samples = (await kustomize("samples")).filter(
      (o) => !(o.kind === "Secret" && o.metadata.name === ETCD_SECRET_NAME),
    );
    const examples = await kustomize("example-isvcs");
    const models = inNamespace([...samples, ...examples].filter(isModel), namespace);
    const served = [namespace];
    const second =
      scope === "cluster"
        ? secondNamespaceObjects(
            samples.find((o) => o.kind === "Secret" && o.metadata.name === "storage-config"),
          )
        : [];
    if (second.length > 0) served.push(SECOND_NAMESPACE);
    const allModels = [...models, ...second.filter(isModel)];
    store.add(allModels);

    const meshes: ServedMesh[] = [];
    if (second.length > 0)
      await kubectl(plane, ["apply", "--server-side", "-f", "-"], asYamlStream(second.slice(0, 1)));
    for (const servedNamespace of served) {
      const mesh = await startMesh(plane, {
        controllerNamespace: namespace,
        namespace: servedNamespace,
        store,
      });
      meshes.push(mesh);
      stops.push(() => mesh.stop());
    }
    // Started after the meshes so that it stops before them: a mesh's gRPC server waits for its clients to go.
    const controller = await startInstalledController(plane, namespace);
    stops.push(() => controller.stop());
    await kubectl(
      plane,
      ["apply", "--server-side", "-f", "-"],
      asYamlStream([...inNamespace(samples, namespace), ...inNamespace(examples, namespace), ...second]),
    );
    return {
      plane,
      install,
      controller,
      client: new KubeClient(plane.kubeConfig, createMetricsRegistry().metrics),
      store,
      meshes,
      models: allModels,
      runtimeKind: scope === "cluster" ? "ClusterServingRuntime" : "ServingRuntime",
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
