/**
 * An in-process controller (the same context and controllers `modelmesh-serving run` builds) against a real
 * API server, plus the helpers the controller suites share.
 */

import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { ResourceType } from "../../../src/apis/resource-types.js";
import { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../../src/controller-runtime/metrics.js";
import type { Features, Scope } from "../../../src/controllers/context/context.js";
import {
  createControllerContext,
  type ProcessContext,
} from "../../../src/controllers/context/create-context.js";
import { setupControllers } from "../../../src/controllers/index.js";
import { kubeconfigForUser } from "../control-plane/index.js";
import { readYamlDocuments } from "../kube/crds.js";

export interface RunningController {
  ctx: ProcessContext;
  stop(): Promise<void>;
}

export async function startController(options: {
  kubeConfig: KubeConfig;
  scope: Scope;
  controllerNamespace: string;
  features?: Features;
  controllerDeploymentName?: string;
}): Promise<RunningController> {
  const ctx = await createControllerContext({
    kubeConfig: options.kubeConfig,
    scope: options.scope,
    controllerNamespace: options.controllerNamespace,
    controllerDeploymentName: options.controllerDeploymentName ?? "modelmesh-controller",
    features: options.features,
    eventRepeatIntervalMs: 200,
    manager: { metrics: createMetricsRegistry(), cacheSyncTimeoutMs: 30_000 },
  });
  setupControllers(ctx, { workers: 2 });
  await ctx.manager.start();
  return {
    ctx,
    stop: async () => {
      await ctx.manager.stop();
      await ctx.events.flush();
    },
  };
}

export function loadKubeConfig(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

export function testClient(kubeConfig: KubeConfig): KubeClient {
  return new KubeClient(kubeConfig, createMetricsRegistry().metrics);
}

export { eventually } from "../async/eventually.js";
export { createNamespace, uniqueName } from "../kube/namespaces.js";
export { etcdSecret, userConfigMap } from "./user-config.js";

/** A small custom multi-model runtime (puller injected) serving model type `ml-type1`. */
export function customRuntime(
  kind: "ServingRuntime" | "ClusterServingRuntime",
  name: string,
  namespace: string | undefined,
  overrides: { spec?: Record<string, unknown>; annotations?: Record<string, string> } = {},
): KubernetesObject & { spec: Record<string, unknown> } {
  return {
    apiVersion: "serving.kserve.io/v1alpha1",
    kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      ...(overrides.annotations ? { annotations: overrides.annotations } : {}),
    },
    spec: {
      supportedModelFormats: [{ name: "ml-type1", version: "1", autoSelect: true }],
      multiModel: true,
      grpcDataEndpoint: "port:8001",
      grpcEndpoint: "port:8001",
      containers: [
        {
          name: "custom-runtime",
          image: "example.org/models/custom-runtime:6.0",
          resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
        },
      ],
      ...overrides.spec,
    },
  };
}

export function predictor(name: string, namespace: string, modelType = "ml-type1"): KubernetesObject {
  return {
    apiVersion: "serving.kserve.io/v1alpha1",
    kind: "Predictor",
    metadata: { name, namespace },
    spec: { modelType: { name: modelType }, path: "models/m", storage: { key: "localMinIO" } },
  } as KubernetesObject;
}

export interface CoreEvent extends KubernetesObject {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

const RBAC_KINDS: Record<string, ResourceType> = {
  ServiceAccount: { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  Role: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", plural: "roles", namespaced: true },
  RoleBinding: {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    plural: "rolebindings",
    namespaced: true,
  },
  ClusterRole: {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    plural: "clusterroles",
    namespaced: false,
  },
  ClusterRoleBinding: {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    plural: "clusterrolebindings",
    namespaced: false,
  },
};

/**
 * Installs the shipped RBAC (config/rbac/<scope>-scope and common) for a controller in `namespace` and returns
 * a kubeconfig of its ServiceAccount, so a controller run with it fails on any permission the install lacks.
 */
export async function controllerServiceAccountKubeConfig(
  admin: KubeClient,
  adminKubeconfigPath: string,
  scope: Scope,
  namespace: string,
): Promise<KubeConfig> {
  const files = [
    "config/rbac/common/service-account.yaml",
    "config/rbac/common/leader-election-role.yaml",
    `config/rbac/${scope}-scope/role.yaml`,
    `config/rbac/${scope}-scope/role-binding.yaml`,
  ];
  for (const file of files) {
    for (const object of readYamlDocuments(file)) {
      const type = RBAC_KINDS[object.kind ?? ""];
      if (type === undefined) throw new Error(`unexpected ${object.kind} in ${file}`);
      const withNamespace = {
        ...object,
        metadata: { ...object.metadata, ...(type.namespaced ? { namespace } : {}) },
        ...("subjects" in object
          ? {
              subjects: (object.subjects as { kind: string }[]).map((subject) => ({ ...subject, namespace })),
            }
          : {}),
      };
      await admin.apply(type, withNamespace, { fieldManager: "controller-tests", force: true });
    }
  }
  const user = `system:serviceaccount:${namespace}:modelmesh-controller`;
  const path = await kubeconfigForUser(adminKubeconfigPath, user, [
    "system:serviceaccounts",
    `system:serviceaccounts:${namespace}`,
    "system:authenticated",
  ]);
  return loadKubeConfig(path);
}
