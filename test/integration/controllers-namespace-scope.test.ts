/**
 * The runtime side of the controller in namespace scope, in-process on the shared control plane: the Service,
 * tc-config, one Deployment per multi-model ServingRuntime, scale-to-zero driven by model events, apply
 * semantics, HPA and external scaling, live and invalid configuration, invalid runtimes.
 */

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type {
  KubeConfig,
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1Service,
  V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  CONFIG_MAPS,
  CORE_EVENTS,
  DEPLOYMENTS,
  HORIZONTAL_POD_AUTOSCALERS,
  NAMESPACES,
  PREDICTORS,
  SECRETS,
  SERVICES,
  SERVING_RUNTIMES,
} from "../../src/apis/resource-types.js";
import { buildModelMeshService } from "../../src/builders/service.js";
import { buildTypeConstraintsConfigMap } from "../../src/builders/type-constraints.js";
import { defaultServingConfig } from "../../src/config/serving-config.js";
import type { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { eventually } from "../support/async/eventually.js";
import { controlPlaneBinaries } from "../support/control-plane/index.js";
import type { InProcessController } from "../support/controller/in-process.js";
import { startInProcessController } from "../support/controller/in-process.js";
import { controllerServiceAccountKubeConfig } from "../support/controller/service-account.js";
import { etcdSecret, userConfigMap } from "../support/controller/user-config.js";
import type { CoreEvent } from "../support/kube/clients.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { installCrds } from "../support/kube/crds.js";
import { createNamespace } from "../support/kube/namespaces.js";
import { type MetricLabels, metricSum } from "../support/metrics/metric-sum.js";
import { predictor } from "../support/models/predictors.js";
import { customRuntime } from "../support/runtimes/custom-runtime.js";

const execFileAsync = promisify(execFile);
const kubeconfigPath = inject("kubeconfigPath");
const kubeConfig = loadKubeConfig(kubeconfigPath);
const BASE_CONFIG = "scaleToZero:\n  gracePeriodSeconds: 3\n";

let client: KubeClient;
let namespace: string;
let controller: InProcessController;
let controllerKubeConfig: KubeConfig;

const deployment = (name: string) =>
  client.get<V1Deployment>(DEPLOYMENTS, `modelmesh-serving-${name}`, namespace);
const runtimeObject = (name: string) => client.get<KubernetesObject>(SERVING_RUNTIMES, name, namespace);

async function replicasOf(
  name: string,
  expected: number | undefined,
  timeoutMs = 20_000,
): Promise<V1Deployment> {
  return eventually(
    async () => {
      const live = await deployment(name);
      return live !== undefined && live.spec?.replicas === expected ? live : undefined;
    },
    `Deployment of ${name} with ${expected} replicas`,
    timeoutMs,
  );
}

async function eventFor(kind: string, name: string, reason: string): Promise<CoreEvent> {
  return eventually(async () => {
    const { items } = await client.list<CoreEvent>(CORE_EVENTS, { namespace });
    return items.find(
      (e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name && e.reason === reason,
    );
  }, `a ${reason} Event on ${kind} ${name}`);
}

async function setConfig(yaml: string): Promise<void> {
  await client.apply(CONFIG_MAPS, userConfigMap(namespace, yaml), { fieldManager: "test", force: true });
}

beforeAll(async () => {
  client = testClient(kubeConfig);
  await installCrds(kubeconfigPath);
  namespace = await createNamespace(client, "rtr-ns");
  await client.create(SECRETS, etcdSecret(namespace));
  await client.create(CONFIG_MAPS, userConfigMap(namespace, BASE_CONFIG));
  // The controller runs as the install's ServiceAccount: a permission the shipped Role lacks fails this suite.
  controllerKubeConfig = await controllerServiceAccountKubeConfig(
    client,
    kubeconfigPath,
    "namespace",
    namespace,
  );
  controller = await startInProcessController({
    kubeConfig: controllerKubeConfig,
    scope: "namespace",
    controllerNamespace: namespace,
    features: { inferenceServices: true, clusterServingRuntimes: false, serviceMonitors: false },
  });
});

afterAll(async () => {
  await controller?.stop();
  await client?.delete(NAMESPACES, namespace);
});

describe("namespace objects", () => {
  it("creates the headless Service with the configured ports, without an owner outside the cluster", async () => {
    const service = await eventually(
      () => client.get<V1Service>(SERVICES, "modelmesh-serving", namespace),
      "the Service",
    );
    const expected = buildModelMeshService(namespace, defaultServingConfig(), undefined);
    expect(service.metadata?.labels).toEqual(expected.metadata?.labels);
    expect(service.metadata?.ownerReferences).toBeUndefined();
    expect(service.spec?.clusterIP).toBe("None");
    expect(service.spec?.selector).toEqual({ "modelmesh-service": "modelmesh-serving" });
    expect(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ["grpc", 8033, "grpc"],
      ["http", 8008, "http"],
      ["prometheus", 2112, "prometheus"],
    ]);
  });

  it("deletes other modelmesh-service Services of the namespace", async () => {
    await client.create(SERVICES, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "old-mesh", namespace, labels: { "modelmesh-service": "old-mesh" } },
      spec: { ports: [{ port: 1 }] },
    } as KubernetesObject);
    await eventually(
      async () => ((await client.get(SERVICES, "old-mesh", namespace)) === undefined ? true : undefined),
      "the stray Service to go",
    );
  });

  it("writes tc-config once the namespace has a runtime, with the type constraints of its runtimes", async () => {
    const runtime = customRuntime("ServingRuntime", "rt-a", namespace);
    await client.create(SERVING_RUNTIMES, runtime);
    const live = await eventually(
      () => client.get<V1ConfigMap>(CONFIG_MAPS, "tc-config", namespace),
      "tc-config",
    );
    const expected = buildTypeConstraintsConfigMap(
      namespace,
      new Map([["rt-a", runtime.spec as never]]),
      true,
    );
    expect(live.binaryData).toEqual(expected.binaryData);
    expect(live.metadata?.labels).toEqual(expected.metadata?.labels);
  });
});

describe("runtime Deployments and scale-to-zero", () => {
  it("gives a never-used runtime its Deployment, owned by the runtime, at zero replicas at once", async () => {
    const live = await replicasOf("rt-a", 0);
    const runtime = await runtimeObject("rt-a");
    expect(live.metadata?.ownerReferences).toEqual([
      {
        apiVersion: "serving.kserve.io/v1alpha1",
        kind: "ServingRuntime",
        name: "rt-a",
        uid: runtime?.metadata?.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    await eventFor("ServingRuntime", "rt-a", "DeploymentCreated");
  });

  it("scales up when a model arrives and back to zero after the grace period once it leaves", async () => {
    const started = Date.now();
    await client.create(PREDICTORS, predictor("model-1", namespace));
    await replicasOf("rt-a", 2, 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    await client.delete(PREDICTORS, "model-1", namespace);
    const deleted = Date.now();
    // Still up within the grace period…
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await deployment("rt-a"))?.spec?.replicas).toBe(2);
    // …then down, without any other event.
    await replicasOf("rt-a", 0, 10_000);
    expect(Date.now() - deleted).toBeGreaterThanOrEqual(2_900);
    await eventFor("ServingRuntime", "rt-a", "ScaledToZero");
  });

  it("counts a ModelMesh InferenceService as a user of the runtimes that support its format", async () => {
    const isvc = {
      apiVersion: "serving.kserve.io/v1beta1",
      kind: "InferenceService",
      metadata: {
        name: "isvc-1",
        namespace,
        annotations: { "serving.kserve.io/deploymentMode": "ModelMesh" },
      },
      spec: { predictor: { model: { modelFormat: { name: "ml-type1" }, storageUri: "s3://bucket/model" } } },
    };
    const { INFERENCE_SERVICES } = await import("../../src/apis/resource-types.js");
    await client.create(INFERENCE_SERVICES, isvc as KubernetesObject);
    await replicasOf("rt-a", 2, 5_000);
    await client.delete(INFERENCE_SERVICES, "isvc-1", namespace);
    await replicasOf("rt-a", 0, 10_000);
  });

  it("gives disabled and single-model runtimes no Deployment and removes an existing one", async () => {
    await client.create(
      SERVING_RUNTIMES,
      customRuntime("ServingRuntime", "rt-single", namespace, { spec: { multiModel: false } }),
    );
    await client.create(SERVING_RUNTIMES, customRuntime("ServingRuntime", "rt-b", namespace));
    await replicasOf("rt-b", 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await deployment("rt-single")).toBeUndefined();
    await client.mergePatch(SERVING_RUNTIMES, { namespace, name: "rt-b" }, { spec: { disabled: true } });
    await eventually(
      async () => ((await deployment("rt-b")) === undefined ? true : undefined),
      "rt-b's Deployment to go",
    );
    await eventFor("ServingRuntime", "rt-b", "DeploymentDeleted");
  });
});

describe("apply semantics and live configuration", () => {
  it("re-renders every Deployment on a config change, keeps others' fields and drops fields no longer rendered", async () => {
    await client.create(SERVING_RUNTIMES, customRuntime("ServingRuntime", "rt-c", namespace));
    await replicasOf("rt-c", 0);
    const { kubectl } = await controlPlaneBinaries();
    await execFileAsync(kubectl, [
      "--kubeconfig",
      kubeconfigPath,
      "-n",
      namespace,
      "rollout",
      "restart",
      "deployment/modelmesh-serving-rt-c",
    ]);
    const restartedAt = (await deployment("rt-c"))?.spec?.template?.metadata?.annotations?.[
      "kubectl.kubernetes.io/restartedAt"
    ];
    expect(restartedAt).toBeDefined();

    await setConfig(`${BASE_CONFIG}runtimePodLabels:\n  team: blue\n`);
    for (const name of ["rt-a", "rt-c"]) {
      await eventually(
        async () =>
          (await deployment(name))?.spec?.template?.metadata?.labels?.team === "blue" ? true : undefined,
        `${name} to get the label`,
      );
    }
    await setConfig(BASE_CONFIG);
    const live = await eventually(async () => {
      const d = await deployment("rt-c");
      return d?.spec?.template?.metadata?.labels?.team === undefined ? d : undefined;
    }, "the label to disappear");
    expect(live.spec?.template?.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBe(
      restartedAt,
    );
  });

  it("keeps the last good configuration when the ConfigMap turns invalid, and says so in an Event", async () => {
    await setConfig(`${BASE_CONFIG}runtimePodLabels:\n  team: green\n`);
    await eventually(
      async () =>
        (await deployment("rt-a"))?.spec?.template?.metadata?.labels?.team === "green" ? true : undefined,
      "green",
    );
    await setConfig("podsPerRuntime: none\n");
    const event = await eventFor("ConfigMap", "model-serving-config", "InvalidConfiguration");
    expect(event.type).toBe("Warning");
    expect(event.message).toContain("podsPerRuntime");
    expect(controller.ctx.config.current().runtimePodLabels).toEqual({ team: "green" });
    expect((await deployment("rt-a"))?.spec?.template?.metadata?.labels?.team).toBe("green");
    await setConfig(BASE_CONFIG);
    await eventually(
      async () =>
        (await deployment("rt-a"))?.spec?.template?.metadata?.labels?.team === undefined ? true : undefined,
      "the valid config to apply",
    );
  });
});

describe("invalid runtimes", () => {
  it("reports an invalid runtime by a Warning Event, gives it no Deployment and keeps running", async () => {
    const invalid = customRuntime("ServingRuntime", "rt-bad", namespace);
    (invalid.spec.containers as { name: string }[])[0] = { name: "mm", image: "x:1" } as never;
    await client.create(SERVING_RUNTIMES, invalid);
    const event = await eventFor("ServingRuntime", "rt-bad", "InvalidRuntimeSpec");
    expect(event.message).toBe(
      "Invalid runtime Spec: container spec for mm is invalid: container name mm is reserved for internal use",
    );
    expect(await deployment("rt-bad")).toBeUndefined();
  });

  it("says on the runtime why the API server refused its Deployment", async () => {
    // Valid for the CRD and the runtime checks, but not a container name a Deployment may have.
    const refused = customRuntime("ServingRuntime", "rt-refused", namespace);
    (refused.spec.containers as { name: string }[])[0] = { name: "Server_One", image: "x:1" } as never;
    await client.create(SERVING_RUNTIMES, refused);
    const event = await eventFor("ServingRuntime", "rt-refused", "DeploymentRejected");
    expect(event.type).toBe("Warning");
    expect(event.message).toContain("Deployment modelmesh-serving-rt-refused was refused");
    expect(event.message).toContain("Server_One");
    expect(await deployment("rt-refused")).toBeUndefined();
  });

  it("leaves the Deployment of a runtime that turns invalid untouched", async () => {
    const before = await replicasOf("rt-c", 0);
    await client.mergePatch(
      SERVING_RUNTIMES,
      { namespace, name: "rt-c" },
      { metadata: { annotations: { "serving.kserve.io/autoscalerClass": "bogus" } } },
    );
    await eventFor("ServingRuntime", "rt-c", "InvalidRuntimeSpec");
    expect((await deployment("rt-c"))?.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    await client.mergePatch(
      SERVING_RUNTIMES,
      { namespace, name: "rt-c" },
      { metadata: { annotations: { "serving.kserve.io/autoscalerClass": null } } },
    );
    // Still reconciling: a new model scales it up.
    await client.create(PREDICTORS, predictor("model-2", namespace));
    await replicasOf("rt-c", 2);
  });
});

describe("autoscaler classes", () => {
  const scale = (name: string, replicas: number) =>
    client.mergePatch(
      DEPLOYMENTS,
      { namespace, name: `modelmesh-serving-${name}`, subresource: "scale" },
      { spec: { replicas } },
    );

  it("creates, updates and deletes the HPA, and leaves the replicas the HPA set", async () => {
    const annotations = {
      "serving.kserve.io/autoscalerClass": "hpa",
      "serving.kserve.io/min-scale": "2",
      "serving.kserve.io/max-scale": "4",
    };
    await client.create(
      SERVING_RUNTIMES,
      customRuntime("ServingRuntime", "rt-h", namespace, { annotations }),
    );
    await replicasOf("rt-h", 2);
    const hpa = await eventually(
      () =>
        client.get<V2HorizontalPodAutoscaler>(
          HORIZONTAL_POD_AUTOSCALERS,
          "modelmesh-serving-rt-h",
          namespace,
        ),
      "the HPA",
    );
    expect(hpa.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 4,
      scaleTargetRef: { kind: "Deployment", name: "modelmesh-serving-rt-h" },
    });
    await eventFor("ServingRuntime", "rt-h", "HorizontalPodAutoscalerCreated");

    await scale("rt-h", 3);
    await client.mergePatch(
      SERVING_RUNTIMES,
      { namespace, name: "rt-h" },
      { metadata: { annotations: { "serving.kserve.io/targetUtilizationPercentage": "50" } } },
    );
    await eventually(async () => {
      const live = await client.get<V2HorizontalPodAutoscaler>(
        HORIZONTAL_POD_AUTOSCALERS,
        "modelmesh-serving-rt-h",
        namespace,
      );
      return live?.spec?.metrics?.[0]?.resource?.target?.averageUtilization === 50 ? true : undefined;
    }, "the HPA update");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await deployment("rt-h"))?.spec?.replicas).toBe(3);

    await client.mergePatch(
      SERVING_RUNTIMES,
      { namespace, name: "rt-h" },
      { metadata: { annotations: { "serving.kserve.io/autoscalerClass": null } } },
    );
    await eventually(
      async () =>
        (await client.get(HORIZONTAL_POD_AUTOSCALERS, "modelmesh-serving-rt-h", namespace)) === undefined
          ? true
          : undefined,
      "the HPA to go",
    );
    await replicasOf("rt-h", 2);
    await eventFor("ServingRuntime", "rt-h", "HorizontalPodAutoscalerDeleted");
  });

  it("leaves replicas entirely to someone else with autoscalerClass external", async () => {
    await client.create(
      SERVING_RUNTIMES,
      customRuntime("ServingRuntime", "rt-x", namespace, {
        annotations: { "serving.kserve.io/autoscalerClass": "external" },
      }),
    );
    const live = await eventually(() => deployment("rt-x"), "rt-x's Deployment");
    const owners = await client.request<V1Deployment>({
      method: "GET",
      path: `/apis/apps/v1/namespaces/${namespace}/deployments/modelmesh-serving-rt-x`,
    });
    const ours = owners.metadata?.managedFields?.find((entry) => entry.manager === "modelmesh-controller");
    expect(JSON.stringify(ours?.fieldsV1)).not.toContain("f:replicas");
    expect(live.spec?.replicas).toBe(1);
    await scale("rt-x", 4);
    await setConfig(`${BASE_CONFIG}runtimePodLabels:\n  team: red\n`);
    await eventually(
      async () =>
        (await deployment("rt-x"))?.spec?.template?.metadata?.labels?.team === "red" ? true : undefined,
      "re-render",
    );
    expect((await deployment("rt-x"))?.spec?.replicas).toBe(4);
    await setConfig(BASE_CONFIG);
  });
});

describe("renaming the mesh", () => {
  it("moves the Service and every runtime Deployment to the new inferenceServiceName", async () => {
    await setConfig(`${BASE_CONFIG}inferenceServiceName: mesh-b\n`);
    await eventually(() => client.get(SERVICES, "mesh-b", namespace), "the renamed Service");
    await eventually(() => client.get(DEPLOYMENTS, "mesh-b-rt-a", namespace), "the renamed Deployment");
    await eventually(
      async () =>
        (await client.get(SERVICES, "modelmesh-serving", namespace)) === undefined ? true : undefined,
      "the old Service to go",
    );
    await eventually(
      async () => ((await deployment("rt-a")) === undefined ? true : undefined),
      "the old Deployment to go",
    );
    await setConfig(BASE_CONFIG);
    await eventually(() => deployment("rt-a"), "the Deployment under the default name again");
  });
});

describe("PVC mounts", () => {
  it("mounts the claims of the storage Secret and, with allowAnyPVC, the existing claims of the runtime's models", async () => {
    const { PERSISTENT_VOLUME_CLAIMS } = await import("../../src/apis/resource-types.js");
    await client.create(PERSISTENT_VOLUME_CLAIMS, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "claim-model", namespace },
      spec: { accessModes: ["ReadOnlyMany"], resources: { requests: { storage: "1Gi" } } },
    } as KubernetesObject);
    const withClaim = (name: string, claim: string) => ({
      ...predictor(name, namespace),
      spec: {
        modelType: { name: "ml-type1" },
        storage: { parameters: { type: "pvc", name: claim }, path: "m" },
      },
    });
    await client.create(PREDICTORS, withClaim("pvc-model", "claim-model"));
    await client.create(PREDICTORS, withClaim("pvc-missing", "claim-missing"));
    await setConfig(`${BASE_CONFIG}allowAnyPVC: true\n`);
    await client.create(SECRETS, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "storage-config", namespace },
      data: { shared: Buffer.from(JSON.stringify({ type: "pvc", name: "claim-shared" })).toString("base64") },
    } as KubernetesObject);
    const claims = await eventually(async () => {
      const volumes = (await deployment("rt-a"))?.spec?.template?.spec?.volumes ?? [];
      const names = volumes.flatMap((v) =>
        v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [],
      );
      return names.length === 2 ? names : undefined;
    }, "the PVC volumes");
    expect(claims).toEqual(["claim-model", "claim-shared"]);
    await client.delete(PREDICTORS, "pvc-model", namespace);
    await client.delete(PREDICTORS, "pvc-missing", namespace);
    await setConfig(BASE_CONFIG);
  });
});

describe("restart", () => {
  /** Sum of a metric of the running controller over the label values `match` accepts. */
  const counter = (name: string, match?: (labels: MetricLabels) => boolean) =>
    metricSum(controller.ctx.manager.registry, name, match);

  const restart = async () => {
    await controller.stop();
    controller = await startInProcessController({
      kubeConfig: controllerKubeConfig,
      scope: "namespace",
      controllerNamespace: namespace,
      features: { inferenceServices: true, clusterServingRuntimes: false, serviceMonitors: false },
    });
  };

  /** Every runtime and the namespace reconciled since the start, and nothing left in the queues. */
  const settled = async (runtimes: number) =>
    eventually(
      async () =>
        (await counter(
          "controller_runtime_reconcile_total",
          (l) => l.controller === "ServingRuntimeReconciler",
        )) >= runtimes &&
        (await counter("controller_runtime_reconcile_total", (l) => l.controller === "ServiceReconciler")) >=
          1 &&
        (await counter("workqueue_depth")) === 0 &&
        (await counter("workqueue_unfinished_work_seconds")) === 0,
      "the controller to reconcile everything once",
      30_000,
    );

  it("applies nothing that is already as rendered: the Service, tc-config and every runtime Deployment", async () => {
    const runtimes = (await client.list(SERVING_RUNTIMES, { namespace })).items.length;
    expect(runtimes).toBeGreaterThan(0);
    // The first restart catches up with whatever the earlier tests changed last; the second has nothing to do.
    await restart();
    await settled(runtimes);
    await restart();
    await settled(runtimes);
    // Server-side applies are PATCH requests, and so are status writes (none: no model changed). The refused
    // runtime's Deployment is tried again and refused again (422), which writes nothing.
    const writes = (l: MetricLabels) => l.method === "PATCH" && String(l.code).startsWith("2");
    const requests = await controller.ctx.manager.registry
      .getSingleMetric("rest_client_requests_total")
      ?.get();
    expect(await counter("rest_client_requests_total", writes), JSON.stringify(requests?.values)).toBe(0);
  });

  it("gives a running Deployment without models a fresh grace period instead of cutting it at once", async () => {
    const formats = { supportedModelFormats: [{ name: "ml-type-r", autoSelect: true }] };
    await client.create(
      SERVING_RUNTIMES,
      customRuntime("ServingRuntime", "rt-r", namespace, { spec: formats }),
    );
    await client.create(PREDICTORS, predictor("model-3", namespace, "ml-type-r"));
    await replicasOf("rt-r", 2);
    await controller.stop();
    // The model controller's finalizer keeps it (deleting) until that controller runs again: it no longer counts.
    await client.delete(PREDICTORS, "model-3", namespace);
    controller = await startInProcessController({
      kubeConfig: controllerKubeConfig,
      scope: "namespace",
      controllerNamespace: namespace,
      features: { inferenceServices: true, clusterServingRuntimes: false, serviceMonitors: false },
    });
    const restarted = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await deployment("rt-r"))?.spec?.replicas).toBe(2);
    await replicasOf("rt-r", 0, 10_000);
    expect(Date.now() - restarted).toBeGreaterThanOrEqual(2_900);
  });
});
