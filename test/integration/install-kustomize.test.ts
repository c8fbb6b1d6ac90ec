/**
 * The kustomize install (config/) against a real API server, one fresh control plane per scope because both
 * scopes own the same cluster-wide names. Each install is built by the real kubectl's kustomize, validated whole
 * with a server-side dry run (the controller's Deployment included: no kubelet runs it here), then applied
 * server-side; the API server's own authorizer then answers what the controller's ServiceAccount may do.
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1CustomResourceDefinition,
  V1Deployment,
  V1Role,
  V1SubjectAccessReview,
  V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLUSTER_SERVING_RUNTIMES, DEPLOYMENTS, SERVING_RUNTIMES } from "../../src/apis/resource-types.js";
import { createMetricsRegistry } from "../../src/controller-runtime/metrics.js";
import { type ControlPlane, REPO_ROOT, startControlPlane } from "../support/control-plane/index.js";
import { RUN_INSTALL_ENV } from "../support/controller/run-options.js";
import {
  type AfterCrds,
  asYamlStream,
  type InstalledObject,
  installWithKustomize,
  kubectl,
  kustomize,
  type Scope,
  wildcards,
} from "../support/install/install.js";
import { testClient } from "../support/kube/clients.js";
import {
  CERTIFICATES,
  CLUSTER_ROLE_BINDINGS,
  CLUSTER_ROLES,
  CUSTOM_RESOURCE_DEFINITIONS,
  ROLES,
  SUBJECT_ACCESS_REVIEWS,
  VALIDATING_WEBHOOK_CONFIGURATIONS,
} from "../support/kube/resource-types.js";

const NAMESPACE = "modelmesh-serving";
const CONTROLLER = `system:serviceaccount:${NAMESPACE}:modelmesh-controller`;
/** The built-in runtimes of config/runtimes, sorted by name. */
const BUILT_IN_RUNTIMES = ["mlserver-1.x", "ovms-1.x", "torchserve-0.x", "triton-2.x"];
const config = (dir: string) => path.join(REPO_ROOT, "config", dir);

/** What the API server's authorizer answers for the controller's ServiceAccount. */
async function controllerMay(
  plane: ControlPlane,
  attributes: {
    verb: string;
    group?: string;
    resource: string;
    subresource?: string;
    name?: string;
    namespace?: string;
  },
): Promise<boolean> {
  const review = await testClient(plane.kubeConfig).create<V1SubjectAccessReview>(SUBJECT_ACCESS_REVIEWS, {
    apiVersion: SUBJECT_ACCESS_REVIEWS.apiVersion,
    kind: SUBJECT_ACCESS_REVIEWS.kind,
    spec: {
      user: CONTROLLER,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${NAMESPACE}`, "system:authenticated"],
      resourceAttributes: { ...attributes, group: attributes.group ?? "" },
    },
  });
  return review.status?.allowed === true;
}

/** Installs the scope's overlay the way a user would; its dry run must accept the controller's Deployment. */
async function install(plane: ControlPlane, scope: Scope, afterCrds?: AfterCrds): Promise<InstalledObject[]> {
  const { objects, dryRun } = await installWithKustomize(plane, scope, afterCrds);
  expect(dryRun).toContain("deployment.apps/modelmesh-controller serverside-applied (server dry run)");
  return objects;
}

describe("config/default: the cluster-scope install", () => {
  let plane: ControlPlane;
  let objects: InstalledObject[];
  let samplesDryRun = "";

  beforeAll(async () => {
    plane = await startControlPlane();
    objects = await install(plane, "cluster", async () => {
      await kubectl(plane, ["create", "namespace", "samples"]);
      const samples = asYamlStream(await kustomize("samples"));
      samplesDryRun = await kubectl(
        plane,
        ["apply", "--server-side", "--dry-run=server", "-n", "samples", "-f", "-"],
        samples,
      );
    });
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it("renders every object in the controller's namespace or cluster-wide, never elsewhere", () => {
    const clusterScoped = new Set([
      "Namespace",
      "CustomResourceDefinition",
      "ClusterRole",
      "ClusterRoleBinding",
      "ClusterServingRuntime",
      "ValidatingWebhookConfiguration",
    ]);
    for (const object of objects) {
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(
        clusterScoped.has(object.kind) ? undefined : NAMESPACE,
      );
    }
  });

  it("grants the controller a ClusterRole without wildcards, and leases only in its namespace", async () => {
    const client = testClient(plane.kubeConfig);
    const role = await client.get<V1ClusterRole>(CLUSTER_ROLES, "modelmesh-controller-role");
    expect(wildcards(role?.rules ?? [])).toEqual([]);
    const leaderRole = await client.get<V1Role>(
      ROLES,
      "modelmesh-controller-leader-election-role",
      NAMESPACE,
    );
    expect(wildcards(leaderRole?.rules ?? [])).toEqual([]);
    const binding = await client.get<V1ClusterRoleBinding>(
      CLUSTER_ROLE_BINDINGS,
      "modelmesh-controller-rolebinding",
    );
    expect(binding?.subjects).toEqual([
      { kind: "ServiceAccount", name: "modelmesh-controller", namespace: NAMESPACE },
    ]);

    const anywhere = "team-a";
    const allowed: Parameters<typeof controllerMay>[1][] = [
      { verb: "watch", resource: "namespaces" },
      { verb: "update", resource: "namespaces", subresource: "finalizers", namespace: anywhere },
      { verb: "create", resource: "secrets", namespace: anywhere },
      { verb: "delete", resource: "configmaps", namespace: anywhere },
      { verb: "patch", group: "apps", resource: "deployments", namespace: anywhere },
      { verb: "delete", group: "autoscaling", resource: "horizontalpodautoscalers", namespace: anywhere },
      { verb: "create", group: "monitoring.coreos.com", resource: "servicemonitors", namespace: anywhere },
      { verb: "list", group: "discovery.k8s.io", resource: "endpointslices", namespace: anywhere },
      { verb: "patch", resource: "events", namespace: anywhere },
      { verb: "patch", group: "serving.kserve.io", resource: "predictors", namespace: anywhere },
      {
        verb: "update",
        group: "serving.kserve.io",
        resource: "clusterservingruntimes",
        subresource: "finalizers",
      },
      { verb: "patch", group: "serving.kserve.io", resource: "predictors", subresource: "status" },
      { verb: "watch", group: "serving.kserve.io", resource: "clusterservingruntimes" },
      { verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: NAMESPACE },
      // The leader-for-life lock (--leader-elect-type=life) and the pods that own it.
      { verb: "create", resource: "configmaps", namespace: NAMESPACE },
      {
        verb: "delete",
        resource: "configmaps",
        name: "modelmesh-controller-leader-for-life-lock",
        namespace: NAMESPACE,
      },
      { verb: "get", resource: "pods", namespace: NAMESPACE },
    ];
    for (const attributes of allowed)
      expect(await controllerMay(plane, attributes), attributes.resource).toBe(true);
    const denied: Parameters<typeof controllerMay>[1][] = [
      { verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: anywhere },
      { verb: "delete", resource: "namespaces" },
      { verb: "create", resource: "pods", namespace: anywhere },
      { verb: "get", resource: "pods", namespace: anywhere },
      { verb: "delete", resource: "pods", namespace: NAMESPACE },
      { verb: "list", resource: "nodes" },
      { verb: "create", group: "serving.kserve.io", resource: "predictors", namespace: anywhere },
      // Only what the controller calls (decision 0080): events are core/v1, models and their status are
      // patched, and nothing the controller writes is owned by a model.
      { verb: "create", group: "events.k8s.io", resource: "events", namespace: anywhere },
      { verb: "update", group: "serving.kserve.io", resource: "predictors", namespace: anywhere },
      { verb: "update", group: "serving.kserve.io", resource: "inferenceservices", subresource: "status" },
      {
        verb: "update",
        group: "serving.kserve.io",
        resource: "inferenceservices",
        subresource: "finalizers",
      },
      { verb: "get", resource: "namespaces" },
      { verb: "update", group: "serving.kserve.io", resource: "servingruntimes", namespace: anywhere },
      { verb: "create", group: "rbac.authorization.k8s.io", resource: "roles", namespace: anywhere },
    ];
    for (const attributes of denied)
      expect(await controllerMay(plane, attributes), attributes.resource).toBe(false);
  });

  it("runs the controller locked down: non-root, read-only root, no capabilities, RuntimeDefault seccomp", async () => {
    const deployment = await testClient(plane.kubeConfig).get<V1Deployment>(
      DEPLOYMENTS,
      "modelmesh-controller",
      NAMESPACE,
    );
    const pod = deployment?.spec?.template.spec;
    const manager = pod?.containers.find((c) => c.name === "manager");
    expect(pod?.serviceAccountName).toBe("modelmesh-controller");
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(manager?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(manager?.args).toEqual(["run", "--enable-leader-election"]);
    expect(manager?.env?.map((e) => e.name)).toEqual(RUN_INSTALL_ENV);
    expect(manager?.env?.find((e) => e.name === "NAMESPACE_SCOPE")?.value).toBe("false");
    expect(manager?.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "health" });
    expect(manager?.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "health" });
    expect(manager?.volumeMounts?.map((m) => m.mountPath).sort()).toEqual([
      "/tmp",
      "/tmp/k8s-webhook-server/serving-certs",
    ]);
    expect(pod?.volumes?.find((v) => v.name === "webhook-cert")?.secret?.secretName).toBe(
      "modelmesh-webhook-server-cert",
    );
  });

  it("wires the webhook to cert-manager: certificate for the Service's DNS names, CA injection", async () => {
    const webhook = await testClient(plane.kubeConfig).get<V1ValidatingWebhookConfiguration>(
      VALIDATING_WEBHOOK_CONFIGURATIONS,
      "modelmesh-servingruntime.serving.kserve.io",
    );
    expect(webhook?.metadata?.annotations?.["cert-manager.io/inject-ca-from"]).toBe(
      `${NAMESPACE}/modelmesh-webhook-server-cert`,
    );
    expect(webhook?.webhooks?.[0]?.clientConfig.service).toMatchObject({
      name: "modelmesh-webhook-server-service",
      namespace: NAMESPACE,
      port: 9443,
    });
    const certificate = (await testClient(plane.kubeConfig).get(
      CERTIFICATES,
      "modelmesh-webhook-server-cert",
      NAMESPACE,
    )) as unknown as { spec: { secretName: string; dnsNames: string[] } };
    expect(certificate.spec.secretName).toBe("modelmesh-webhook-server-cert");
    expect(certificate.spec.dnsNames).toEqual([
      `modelmesh-webhook-server-service.${NAMESPACE}.svc`,
      `modelmesh-webhook-server-service.${NAMESPACE}.svc.cluster.local`,
    ]);
  });

  it("installs the four built-in runtimes as ClusterServingRuntimes", async () => {
    const list = (await testClient(plane.kubeConfig).list(CLUSTER_SERVING_RUNTIMES)) as unknown as {
      items: InstalledObject[];
    };
    expect(list.items.map((r) => r.metadata.name).sort()).toEqual(BUILT_IN_RUNTIMES);
  });

  it("adds a ServiceMonitor and the Grafana dashboard with config/overlays/monitoring", async () => {
    const monitoring = await kustomize("overlays/monitoring");
    const installed = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    const added = monitoring.filter((o) => !installed.has(`${o.kind}/${o.metadata.name}`));
    expect(added.map((o) => o.kind).sort()).toEqual(["ConfigMap", "ServiceMonitor"]);
    // Only what the overlay adds: re-applying the runtimes would need the webhook's server.
    await kubectl(plane, ["apply", "--server-side", "--dry-run=server", "-f", "-"], asYamlStream(added));
    const monitor = monitoring.find((o) => o.kind === "ServiceMonitor") as
      | (InstalledObject & { spec: { selector: { matchLabels: Record<string, string> } } })
      | undefined;
    expect(monitor?.metadata.namespace).toBe(NAMESPACE);
    const service = monitoring.find(
      (o) => o.kind === "Service" && o.metadata.name === "modelmesh-controller-metrics",
    ) as (InstalledObject & { metadata: { labels: Record<string, string> } }) | undefined;
    expect(service?.metadata.labels).toMatchObject(
      monitor?.spec.selector.matchLabels ?? { missing: "selector" },
    );
    const dashboard = monitoring.find((o) => o.kind === "ConfigMap" && o.metadata.name.includes("dashboard"));
    expect(dashboard).toMatchObject({ metadata: { labels: { grafana_dashboard: "1" } } });
  });

  it("accepts every sample against the real CRD schemas", async () => {
    const samples = await kustomize("samples");
    expect(samples.map((o) => o.kind).sort()).toEqual([
      "ConfigMap",
      "InferenceService",
      "InferenceService",
      "Predictor",
      "Secret",
      "Secret",
      "ServingRuntime",
      "ServingRuntime",
    ]);
    for (const sample of samples) {
      expect(samplesDryRun).toMatch(
        new RegExp(`/${sample.metadata.name} serverside-applied \\(server dry run\\)`),
      );
    }
  });
});

describe("config/overlays/namespace-scope: the namespace-scope install", () => {
  let plane: ControlPlane;
  let objects: InstalledObject[];

  beforeAll(async () => {
    plane = await startControlPlane();
    objects = await install(plane, "namespace");
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it("grants nothing cluster-wide and no ClusterServingRuntime API", async () => {
    expect(objects.filter((o) => o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding")).toEqual([]);
    const crds = await testClient(plane.kubeConfig).list<V1CustomResourceDefinition>(
      CUSTOM_RESOURCE_DEFINITIONS,
    );
    expect(
      crds.items
        .map((c) => c.metadata?.name)
        .filter((n) => n?.endsWith("serving.kserve.io"))
        .sort(),
    ).toEqual([
      "inferenceservices.serving.kserve.io",
      "predictors.serving.kserve.io",
      "servingruntimes.serving.kserve.io",
    ]);
    const role = await testClient(plane.kubeConfig).get<V1Role>(
      ROLES,
      "modelmesh-controller-role",
      NAMESPACE,
    );
    expect(wildcards(role?.rules ?? [])).toEqual([]);

    // Secrets by name only (decision 0111).
    expect(
      await controllerMay(plane, {
        verb: "watch",
        resource: "secrets",
        namespace: NAMESPACE,
        name: "storage-config",
      }),
    ).toBe(true);
    expect(await controllerMay(plane, { verb: "watch", resource: "secrets", namespace: NAMESPACE })).toBe(
      false,
    );
    expect(
      await controllerMay(plane, {
        verb: "list",
        group: "discovery.k8s.io",
        resource: "endpointslices",
        namespace: NAMESPACE,
      }),
    ).toBe(true);
    expect(
      await controllerMay(plane, {
        verb: "update",
        group: "serving.kserve.io",
        resource: "servingruntimes",
        subresource: "finalizers",
        namespace: NAMESPACE,
      }),
    ).toBe(true);
    expect(
      await controllerMay(plane, {
        verb: "update",
        group: "serving.kserve.io",
        resource: "predictors",
        subresource: "finalizers",
        namespace: NAMESPACE,
      }),
    ).toBe(false);
    expect(await controllerMay(plane, { verb: "list", resource: "namespaces" })).toBe(false);
    expect(await controllerMay(plane, { verb: "watch", resource: "secrets", namespace: "team-a" })).toBe(
      false,
    );
    expect(await controllerMay(plane, { verb: "list", resource: "secrets" })).toBe(false);
    expect(
      await controllerMay(plane, {
        verb: "list",
        group: "serving.kserve.io",
        resource: "clusterservingruntimes",
      }),
    ).toBe(false);
  });

  it("tells the controller it is namespace-scoped and keeps the webhook to its namespace", async () => {
    const deployment = await testClient(plane.kubeConfig).get<V1Deployment>(
      DEPLOYMENTS,
      "modelmesh-controller",
      NAMESPACE,
    );
    const env = deployment?.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === "NAMESPACE_SCOPE")?.value).toBe("true");
    expect(env.find((e) => e.name === "ENABLE_CSR_WATCH")?.value).toBe("false");
    const webhook = await testClient(plane.kubeConfig).get<V1ValidatingWebhookConfiguration>(
      VALIDATING_WEBHOOK_CONFIGURATIONS,
      "modelmesh-servingruntime.serving.kserve.io",
    );
    expect(webhook?.webhooks?.[0]?.namespaceSelector?.matchLabels).toEqual({
      "kubernetes.io/metadata.name": NAMESPACE,
    });
  });

  it("installs the built-in runtimes as ServingRuntimes in its namespace", async () => {
    const list = (await testClient(plane.kubeConfig).list(SERVING_RUNTIMES, {
      namespace: NAMESPACE,
    })) as unknown as {
      items: InstalledObject[];
    };
    expect(list.items.map((r) => r.metadata.name).sort()).toEqual(BUILT_IN_RUNTIMES);
  });
});

describe("config/dashboards: the Grafana dashboard", () => {
  it("queries only metrics that the controller registers", async () => {
    const dashboard = JSON.parse(readFileSync(config("dashboards/modelmesh-controller.json"), "utf8")) as {
      panels: { type: string; title: string; targets?: { expr: string }[] }[];
    };
    const { registry } = createMetricsRegistry();
    const registered = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const queried = dashboard.panels
      .flatMap((p) => p.targets ?? [])
      .flatMap((t) => [...t.expr.matchAll(/\b([a-z_:][a-z0-9_:]*)\{/g)].map((m) => m[1] ?? ""))
      .map((name) => name.replace(/_bucket$/, ""));
    expect(queried.length).toBeGreaterThan(15);
    for (const name of queried) expect(registered, name).toContain(name);
    const titles = dashboard.panels.filter((p) => p.type === "timeseries").map((p) => p.title);
    for (const topic of [
      "Reconcile rate",
      "Reconcile errors",
      "Reconcile latency",
      "Queue depth",
      "Queue latency",
    ])
      expect(
        titles.some((t) => t.startsWith(topic)),
        topic,
      ).toBe(true);
    for (const topic of ["API requests by status code", "Leader", "Memory", "CPU"])
      expect(titles).toContain(topic);
  });
});
