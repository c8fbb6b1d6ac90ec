/**
 * Cluster scope on a private control plane (ClusterServingRuntimes and labelled namespaces are cluster-wide, so
 * no other suite may see them): served namespaces, a ClusterServingRuntime's Deployment in each, a
 * ServingRuntime hiding it, owner references, the etcd Secret copy, the ServiceMonitor, namespaces that stop
 * being served, and the headless switch.
 */

import type {
  KubernetesObject,
  V1Deployment,
  V1Namespace,
  V1Secret,
  V1Service,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLUSTER_SERVING_RUNTIMES,
  CONFIG_MAPS,
  CORE_EVENTS,
  DEPLOYMENTS,
  NAMESPACES,
  SECRETS,
  SERVICE_MONITORS,
  SERVICES,
  SERVING_RUNTIMES,
} from "../../src/apis/resource-types.js";
import { buildNamespaceEtcdSecret } from "../../src/builders/etcd-secret.js";
import type { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { eventually } from "../support/async/eventually.js";
import { type ControlPlane, startControlPlane } from "../support/control-plane/index.js";
import type { InProcessController } from "../support/controller/in-process.js";
import { startInProcessController } from "../support/controller/in-process.js";
import { controllerServiceAccountKubeConfig } from "../support/controller/service-account.js";
import { etcdSecret, userConfigMap } from "../support/controller/user-config.js";
import type { CoreEvent } from "../support/kube/clients.js";
import { testClient } from "../support/kube/clients.js";
import { installCrds, testCrd } from "../support/kube/crds.js";
import { createNamespace } from "../support/kube/namespaces.js";
import { CUSTOM_RESOURCE_DEFINITIONS } from "../support/kube/resource-types.js";
import { customRuntime } from "../support/runtimes/custom-runtime.js";

const SERVICE_MONITOR_CRD = testCrd({
  group: "monitoring.coreos.com",
  kind: "ServiceMonitor",
  plural: "servicemonitors",
});

let plane: ControlPlane;
let client: KubeClient;
let controller: InProcessController;
let controllerNamespace: string;
let served: string;
let unserved: string;

const gone = (check: () => Promise<unknown>) => async () =>
  (await check()) === undefined ? true : undefined;
const deploymentIn = (namespace: string, runtime: string) =>
  client.get<V1Deployment>(DEPLOYMENTS, `modelmesh-serving-${runtime}`, namespace);

beforeAll(async () => {
  plane = await startControlPlane();
  client = testClient(plane.kubeConfig);
  await installCrds(plane.kubeconfigPath);
  await client.create(CUSTOM_RESOURCE_DEFINITIONS, SERVICE_MONITOR_CRD);
  await eventually(
    async () => ((await client.list(SERVICE_MONITORS, {})) ? true : undefined),
    "the ServiceMonitor API",
  );
  controllerNamespace = await createNamespace(client, "mm-ctl");
  served = await createNamespace(client, "team-a", { "modelmesh-enabled": "true" });
  unserved = await createNamespace(client, "team-off");
  await client.create(SECRETS, etcdSecret(controllerNamespace));
  await client.create(CONFIG_MAPS, userConfigMap(controllerNamespace, "podsPerRuntime: 1\n"));
  // The controller runs as the install's ServiceAccount: a permission the shipped RBAC lacks fails this suite.
  const kubeConfig = await controllerServiceAccountKubeConfig(
    client,
    plane.kubeconfigPath,
    "cluster",
    controllerNamespace,
  );
  controller = await startInProcessController({ kubeConfig, scope: "cluster", controllerNamespace });
}, 180_000);

afterAll(async () => {
  await controller?.stop();
  await plane?.stop();
});

describe("cluster scope", () => {
  it("probes the optional APIs", () => {
    expect(controller.ctx.features).toEqual({
      inferenceServices: true,
      clusterServingRuntimes: true,
      serviceMonitors: true,
    });
  });

  it("serves the controller namespace and labelled ones, each with a Service owned by its Namespace", async () => {
    for (const namespace of [controllerNamespace, served]) {
      const service = await eventually(
        () => client.get<V1Service>(SERVICES, "modelmesh-serving", namespace),
        `the Service in ${namespace}`,
      );
      const owner = await client.get<V1Namespace>(NAMESPACES, namespace);
      expect(service.metadata?.ownerReferences).toEqual([
        {
          apiVersion: "v1",
          kind: "Namespace",
          name: namespace,
          uid: owner?.metadata?.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      const monitor = await eventually(
        () =>
          client.get<KubernetesObject & { spec?: unknown }>(
            SERVICE_MONITORS,
            "modelmesh-metrics-monitor",
            namespace,
          ),
        "the ServiceMonitor",
      );
      expect(monitor.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: "Service",
        name: "modelmesh-serving",
        uid: service.metadata?.uid,
      });
      expect(monitor.spec).toEqual({
        selector: { matchLabels: { "modelmesh-service": "modelmesh-serving" } },
        namespaceSelector: { matchNames: [namespace] },
        endpoints: [
          { interval: "30s", port: "prometheus", scheme: "https", tlsConfig: { insecureSkipVerify: true } },
        ],
      });
    }
    expect(await client.get(SERVICES, "modelmesh-serving", unserved)).toBeUndefined();
  });

  it("renders a ClusterServingRuntime in every served namespace, owned by it, with the etcd Secret copied", async () => {
    const csr = await client.create(
      CLUSTER_SERVING_RUNTIMES,
      customRuntime("ClusterServingRuntime", "shared-rt", undefined),
    );
    for (const namespace of [controllerNamespace, served]) {
      const live = await eventually(
        () => deploymentIn(namespace, "shared-rt"),
        `the Deployment in ${namespace}`,
      );
      expect(live.metadata?.ownerReferences).toEqual([
        {
          apiVersion: "serving.kserve.io/v1alpha1",
          kind: "ClusterServingRuntime",
          name: "shared-rt",
          uid: csr.metadata?.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      await eventually(() => client.get(CONFIG_MAPS, "tc-config", namespace), `tc-config in ${namespace}`);
    }
    const source = await client.get<V1Secret>(SECRETS, "model-serving-etcd", controllerNamespace);
    const expected = buildNamespaceEtcdSecret(source?.data, "model-serving-etcd", served);
    if (!expected.ok) throw new Error(expected.error);
    const copy = await eventually(
      () => client.get<V1Secret>(SECRETS, "model-serving-etcd", served),
      "the etcd Secret copy",
    );
    expect(copy.data).toEqual(expected.value.data);
    expect(JSON.parse(Buffer.from(copy.data?.etcd_connection ?? "", "base64").toString())).toEqual({
      endpoints: "http://etcd:2379",
      root_prefix: `modelmesh-serving/mm_ns/${served}`,
    });
    expect(copy.metadata?.labels).toEqual({ "app.kubernetes.io/managed-by": "modelmesh-controller" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await deploymentIn(unserved, "shared-rt")).toBeUndefined();
  });

  it("lets a ServingRuntime hide the ClusterServingRuntime of the same name in its namespace", async () => {
    const hiding = customRuntime("ServingRuntime", "shared-rt", served);
    (hiding.spec.containers as { image: string }[])[0] = {
      ...(hiding.spec.containers as object[])[0],
      image: "example.org/own:1",
    } as never;
    const sr = await client.create(SERVING_RUNTIMES, hiding);
    const live = await eventually(async () => {
      const d = await deploymentIn(served, "shared-rt");
      return d?.metadata?.ownerReferences?.[0]?.kind === "ServingRuntime" ? d : undefined;
    }, "the ServingRuntime to take over");
    expect(live.metadata?.ownerReferences?.[0]).toMatchObject({ name: "shared-rt", uid: sr.metadata?.uid });
    expect(live.spec?.template?.spec?.containers?.some((c) => c.image === "example.org/own:1")).toBe(true);
    expect((await deploymentIn(controllerNamespace, "shared-rt"))?.metadata?.ownerReferences?.[0]?.kind).toBe(
      "ClusterServingRuntime",
    );
  });

  it("reports a missing etcd Secret with a Warning Event and copies it once it exists", async () => {
    await client.delete(SECRETS, "model-serving-etcd", controllerNamespace);
    const late = await createNamespace(client, "team-late", { "modelmesh-enabled": "true" });
    const event = await eventually(async () => {
      const { items } = await client.list<CoreEvent>(CORE_EVENTS, { namespace: late });
      return items.find((e) => e.reason === "EtcdSecretInvalid");
    }, "the Warning Event");
    expect(event.type).toBe("Warning");
    expect(event.involvedObject).toMatchObject({ kind: "Namespace", name: late });
    expect(event.message).toContain(`Secret ${controllerNamespace}/model-serving-etcd not found`);
    await client.create(SECRETS, etcdSecret(controllerNamespace));
    await eventually(() => client.get(SECRETS, "model-serving-etcd", late), "the copy");
  });

  it("recreates the Service when headlessness changes", async () => {
    const before = await client.get<V1Service>(SERVICES, "modelmesh-serving", served);
    await client.apply(
      CONFIG_MAPS,
      userConfigMap(controllerNamespace, "podsPerRuntime: 1\nheadlessService: false\n"),
      { fieldManager: "test", force: true },
    );
    const after = await eventually(async () => {
      const s = await client.get<V1Service>(SERVICES, "modelmesh-serving", served);
      return s !== undefined && s.spec?.clusterIP !== "None" ? s : undefined;
    }, "a Service with a cluster IP");
    expect(after.metadata?.uid).not.toBe(before?.metadata?.uid);
  });

  it("drops the ServiceMonitor and the prometheus port when metrics are turned off", async () => {
    await client.apply(
      CONFIG_MAPS,
      userConfigMap(
        controllerNamespace,
        "podsPerRuntime: 1\nheadlessService: false\nmetrics:\n  enabled: false\n",
      ),
      { fieldManager: "test", force: true },
    );
    await eventually(
      gone(() => client.get(SERVICE_MONITORS, "modelmesh-metrics-monitor", served)),
      "the ServiceMonitor to go",
    );
    const service = await eventually(async () => {
      const s = await client.get<V1Service>(SERVICES, "modelmesh-serving", served);
      return s?.spec?.ports?.length === 2 ? s : undefined;
    }, "the Service without its prometheus port");
    expect(service.spec?.ports?.map((p) => p.name)).toEqual(["grpc", "http"]);
  });

  it("removes everything from a namespace that stops being served", async () => {
    await client.mergePatch(
      NAMESPACES,
      { name: served },
      { metadata: { labels: { "modelmesh-enabled": "false" } } },
    );
    await eventually(
      gone(() => client.get(SERVICES, "modelmesh-serving", served)),
      "the Service to go",
    );
    await eventually(
      gone(() => client.get(CONFIG_MAPS, "tc-config", served)),
      "tc-config to go",
    );
    await eventually(
      gone(() => client.get(SECRETS, "model-serving-etcd", served)),
      "the etcd Secret copy to go",
    );
    await eventually(
      gone(() => deploymentIn(served, "shared-rt")),
      "the runtime Deployment to go",
    );
    expect(await deploymentIn(controllerNamespace, "shared-rt")).toBeDefined();
  });
});
