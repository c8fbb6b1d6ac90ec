/** The objects a user creates in the controller namespace before the controller runs. */
import type { KubernetesObject } from "@kubernetes/client-node";

/** The etcd Secret's name (env `ETCD_SECRET_NAME` unset). */
export const ETCD_SECRET_NAME = "model-serving-etcd";
/** The ModelMesh Service of each namespace (config `inferenceServiceName` unset). */
export const SERVICE_NAME = "modelmesh-serving";

/** The etcd Secret pointing the controller and ModelMesh at `endpoints`, keys under `rootPrefix`. */
export function etcdSecret(
  namespace: string,
  { endpoints = "http://etcd:2379", rootPrefix = "modelmesh-serving" } = {},
): KubernetesObject & { data: Record<string, string> } {
  const connection = JSON.stringify({ endpoints, root_prefix: rootPrefix });
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: ETCD_SECRET_NAME, namespace },
    data: { etcd_connection: Buffer.from(connection).toString("base64") },
  };
}

/** The user ConfigMap `model-serving-config` with `configYaml` as its config.yaml. */
export function userConfigMap(
  namespace: string,
  configYaml: string,
): KubernetesObject & { data: Record<string, string> } {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "model-serving-config", namespace },
    data: { "config.yaml": configYaml },
  };
}
