/**
 * The sandbox's meshes (`ServedMeshes`): every namespace the controller serves gets its mesh, as a cluster has
 * model-mesh pods in each, so a model in a namespace labelled `modelmesh-enabled=true` loads as one in the
 * controller's own namespace does; a namespace that stops being served loses its mesh. On a private control plane,
 * with the controller in cluster scope and the built-in ClusterServingRuntimes.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INFERENCE_SERVICES, NAMESPACES, SECRETS } from "../../src/apis/resource-types.js";
import type { InferenceServiceStatus } from "../../src/apis/serving/v1beta1/inference-service.js";
import type { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { type ControlPlane, REPO_ROOT, startControlPlane } from "../support/control-plane/index.js";
import { type InProcessController, startInProcessController } from "../support/controller/in-process.js";
import { etcdSecret } from "../support/controller/user-config.js";
import { SERVED_LABEL, ServedMeshes } from "../support/emulator/served-meshes.js";
import { meshEtcdClient } from "../support/etcd/client.js";
import { kubectl } from "../support/install/install.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { namespaceObject } from "../support/kube/namespaces.js";
import { modelMeshInferenceService } from "../support/models/inference-services.js";

const CONTROLLER_NAMESPACE = "modelmesh-serving";
const ROOT_PREFIX = "modelmesh-serving";
const MODEL_PATH = "sklearn/mnist-svm.joblib";

type Isvc = KubernetesObject & { status?: InferenceServiceStatus };

describe("the sandbox's meshes: one per served namespace", () => {
  let plane: ControlPlane;
  let client: KubeClient;
  let meshes: ServedMeshes;
  let controller: InProcessController;
  let etcd: ReturnType<typeof meshEtcdClient>;
  const modelsDir = mkdtempSync(path.join(tmpdir(), "served-meshes-"));

  const createModel = (namespace: string, name: string) =>
    client.create(
      INFERENCE_SERVICES,
      modelMeshInferenceService(namespace, name, {
        modelFormat: { name: "sklearn" },
        storage: { key: "localMinIO", path: MODEL_PATH },
      }),
    );
  const state = async (namespace: string, name: string) =>
    (await client.get<Isvc>(INFERENCE_SERVICES, name, namespace))?.status?.modelStatus?.states
      ?.activeModelState;
  const meshNamespaces = async () => (await meshes.addresses()).map((m) => m.namespace);

  beforeAll(async () => {
    mkdirSync(path.join(modelsDir, MODEL_PATH), { recursive: true });
    plane = await startControlPlane();
    const kubeConfig = loadKubeConfig(plane.kubeconfigPath);
    client = testClient(kubeConfig);
    await kubectl(plane, ["apply", "--server-side", "-f", path.join(REPO_ROOT, "crds")]);
    await kubectl(plane, ["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
    await kubectl(plane, ["apply", "--server-side", "-k", path.join(REPO_ROOT, "config/runtimes")]);
    await client.create(NAMESPACES, namespaceObject(CONTROLLER_NAMESPACE));
    await client.create(
      SECRETS,
      etcdSecret(CONTROLLER_NAMESPACE, { endpoints: plane.etcdEndpoint, rootPrefix: ROOT_PREFIX }),
    );
    etcd = meshEtcdClient([plane.etcdEndpoint]);
    meshes = await ServedMeshes.start({
      kubeConfig,
      etcd,
      controllerNamespace: CONTROLLER_NAMESPACE,
      rootPrefix: ROOT_PREFIX,
      modelsDir,
      ports: { grpc: 0, rest: 0 },
      loadTimeMs: 100,
      refreshMs: 200,
    });
    controller = await startInProcessController({
      kubeConfig,
      scope: "cluster",
      controllerNamespace: CONTROLLER_NAMESPACE,
      features: { inferenceServices: true, clusterServingRuntimes: true, serviceMonitors: false },
    });
  });

  afterAll(async () => {
    await controller?.stop();
    await meshes?.stop();
    etcd?.close();
    await plane?.stop();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it("the controller's namespace has its mesh, and its models load", async () => {
    expect(await meshNamespaces()).toEqual([CONTROLLER_NAMESPACE]);
    await createModel(CONTROLLER_NAMESPACE, "own");
    await expect
      .poll(() => state(CONTROLLER_NAMESPACE, "own"), { timeout: 60_000, interval: 200 })
      .toBe("Loaded");
  });

  it("a namespace labelled modelmesh-enabled=true gets a mesh of its own, and its models load too", async () => {
    await client.create(NAMESPACES, namespaceObject("team-b", { [SERVED_LABEL]: "true" }));
    await expect.poll(meshNamespaces, { timeout: 20_000 }).toEqual([CONTROLLER_NAMESPACE, "team-b"]);
    await createModel("team-b", "theirs");
    await expect.poll(() => state("team-b", "theirs"), { timeout: 60_000, interval: 200 }).toBe("Loaded");
    // Its records are where the controller reads that namespace's registry.
    const vmodel = await etcd.get(`${ROOT_PREFIX}/mm_ns/team-b/mm/modelmesh-serving/vmodels/theirs`).string();
    expect(vmodel).toContain('"o":"isvc"');
  });

  it("a namespace that stops being served loses its mesh", async () => {
    await client.mergePatch(
      NAMESPACES,
      { name: "team-b" },
      { metadata: { labels: { [SERVED_LABEL]: null } } },
    );
    await expect.poll(meshNamespaces, { timeout: 20_000 }).toEqual([CONTROLLER_NAMESPACE]);
  });
});
