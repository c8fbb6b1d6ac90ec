/**
 * The controller's identity as the install gives it: its ServiceAccount, as a client certificate for
 * `system:serviceaccount:<namespace>:modelmesh-controller` in the service-account groups (which RBAC treats
 * exactly as the ServiceAccount's token), so a controller run with it fails on any permission the install lacks.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import type { Scope } from "../../../src/controllers/context/context.js";
import { kubeconfigForUser } from "../control-plane/index.js";
import { loadKubeConfig } from "../kube/clients.js";
import { readYamlDocuments } from "../kube/crds.js";
import { RBAC_KINDS } from "../kube/resource-types.js";

export const CONTROLLER_SERVICE_ACCOUNT = "modelmesh-controller";

/** A kubeconfig file of the controller's ServiceAccount in `namespace`. */
export function serviceAccountKubeconfig(adminKubeconfigPath: string, namespace: string): Promise<string> {
  return kubeconfigForUser(
    adminKubeconfigPath,
    `system:serviceaccount:${namespace}:${CONTROLLER_SERVICE_ACCOUNT}`,
    ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
  );
}

/** Installs the shipped RBAC (config/rbac/<scope>-scope and common) for a controller in `namespace`. */
export async function installControllerRbac(
  admin: KubeClient,
  scope: Scope,
  namespace: string,
): Promise<void> {
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
}

/** The shipped RBAC for a controller in `namespace`, and a kubeconfig of its ServiceAccount. */
export async function controllerServiceAccountKubeConfig(
  admin: KubeClient,
  adminKubeconfigPath: string,
  scope: Scope,
  namespace: string,
): Promise<KubeConfig> {
  await installControllerRbac(admin, scope, namespace);
  return loadKubeConfig(await serviceAccountKubeconfig(adminKubeconfigPath, namespace));
}
