/** Kinds only the tests read or write (the controller's own are in src/apis/resource-types.ts). */
import type { ResourceType } from "../../../src/apis/resource-types.js";

const RBAC = "rbac.authorization.k8s.io/v1";

export const SERVICE_ACCOUNTS: ResourceType = {
  apiVersion: "v1",
  kind: "ServiceAccount",
  plural: "serviceaccounts",
  namespaced: true,
};
export const ROLES: ResourceType = { apiVersion: RBAC, kind: "Role", plural: "roles", namespaced: true };
export const ROLE_BINDINGS: ResourceType = {
  apiVersion: RBAC,
  kind: "RoleBinding",
  plural: "rolebindings",
  namespaced: true,
};
export const CLUSTER_ROLES: ResourceType = {
  apiVersion: RBAC,
  kind: "ClusterRole",
  plural: "clusterroles",
  namespaced: false,
};
export const CLUSTER_ROLE_BINDINGS: ResourceType = {
  apiVersion: RBAC,
  kind: "ClusterRoleBinding",
  plural: "clusterrolebindings",
  namespaced: false,
};
export const CUSTOM_RESOURCE_DEFINITIONS: ResourceType = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  plural: "customresourcedefinitions",
  namespaced: false,
};
export const VALIDATING_WEBHOOK_CONFIGURATIONS: ResourceType = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingWebhookConfiguration",
  plural: "validatingwebhookconfigurations",
  namespaced: false,
};

/** core/v1 Endpoints: what upstream's controller resolves ModelMesh from (this one reads EndpointSlices). */
export const ENDPOINTS: ResourceType = {
  apiVersion: "v1",
  kind: "Endpoints",
  plural: "endpoints",
  namespaced: true,
};

export const SUBJECT_ACCESS_REVIEWS: ResourceType = {
  apiVersion: "authorization.k8s.io/v1",
  kind: "SubjectAccessReview",
  plural: "subjectaccessreviews",
  namespaced: false,
};
/** cert-manager's Certificate, which the install's webhook certificate is. */
export const CERTIFICATES: ResourceType = {
  apiVersion: "cert-manager.io/v1",
  kind: "Certificate",
  plural: "certificates",
  namespaced: true,
};

/** The RBAC kinds of the install's manifests, by kind. */
export const RBAC_KINDS: Readonly<Record<string, ResourceType>> = {
  ServiceAccount: SERVICE_ACCOUNTS,
  Role: ROLES,
  RoleBinding: ROLE_BINDINGS,
  ClusterRole: CLUSTER_ROLES,
  ClusterRoleBinding: CLUSTER_ROLE_BINDINGS,
};
