/**
 * The copy of the controller's etcd Secret in another served namespace (the copy step of upstream's `controllers/servingruntime_controller.go Reconcile`, and `pkg/mmesh/etcd_secret.go`): the
 * same connection with the root prefix `<root_prefix>/mm_ns/<namespace>`, so each namespace's model-mesh keeps
 * its registry apart. The JSON is re-encoded like Go's `json.Marshal` of upstream's `EtcdConfig`.
 */
import type { V1Secret } from "@kubernetes/client-node";
import { type GoJsonField, goJsonMarshal, goStruct } from "../lib/go-json.js";
import { fail, ok, type Result } from "../lib/result.js";
import { LABELS, OBJECTS } from "./constants.js";

/** `EtcdConfig` fields in declaration (and marshal) order; only `endpoints` is written when empty. */
const ETCD_CONFIG_FIELDS = [
  "endpoints",
  "userid",
  "password",
  "root_prefix",
  "certificate",
  "certificate_file",
  "client_key",
  "client_key_file",
  "client_certificate",
  "client_certificate_file",
  "override_authority",
] as const;

type EtcdConfigField = (typeof ETCD_CONFIG_FIELDS)[number];
export type EtcdConfig = Partial<Record<EtcdConfigField, string>>;

/** Fields naming other keys of the same Secret that hold PEM data. */
const FILE_REFERENCE_FIELDS = ["certificate_file", "client_key_file", "client_certificate_file"] as const;

export const NAMESPACE_PREFIX_SEGMENT = "mm_ns";

/** Go's json.Unmarshal into `EtcdConfig`: keys match case-insensitively, unknown keys are dropped. */
export function parseEtcdConfig(json: string): Result<EtcdConfig> {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    return fail(`failed to parse etcd config json: ${(error as Error).message}`);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return fail("failed to parse etcd config json: expected a JSON object");
  }
  const config: EtcdConfig = {};
  for (const [key, value] of Object.entries(document)) {
    const field =
      ETCD_CONFIG_FIELDS.find((name) => name === key) ??
      ETCD_CONFIG_FIELDS.find((name) => name.toLowerCase() === key.toLowerCase());
    if (field === undefined || value === null) continue;
    if (typeof value !== "string") {
      return fail(
        `failed to parse etcd config json: field ${field} must be a string, got ${JSON.stringify(value)}`,
      );
    }
    config[field] = value;
  }
  return ok(config);
}

export function marshalEtcdConfig(config: EtcdConfig): string {
  const fields: GoJsonField[] = ETCD_CONFIG_FIELDS.map((name) => {
    const value = config[name];
    return [name, name === "endpoints" ? (value ?? "") : value === "" ? undefined : value];
  });
  return goJsonMarshal(goStruct(fields));
}

export function namespaceRootPrefix(rootPrefix: string | undefined, namespace: string): string {
  return `${rootPrefix ?? ""}/${NAMESPACE_PREFIX_SEGMENT}/${namespace}`;
}

/**
 * `sourceData` is the `data` (base64 values) of the Secret `secretName` in the controller namespace. Besides
 * `etcd_connection`, the keys its `*_file` fields name are copied too (upstream dropped them, leaving TLS
 * settings in other namespaces pointing at nothing).
 */
export function buildNamespaceEtcdSecret(
  sourceData: Readonly<Record<string, string>> | undefined,
  secretName: string,
  namespace: string,
): Result<V1Secret> {
  const encoded = sourceData?.[OBJECTS.etcdConnectionKey];
  if (encoded === undefined) {
    return fail(`Key '${OBJECTS.etcdConnectionKey}' was not found in etcd secret '${secretName}'`);
  }
  const parsed = parseEtcdConfig(Buffer.from(encoded, "base64").toString("utf8"));
  if (!parsed.ok) return parsed;
  const config: EtcdConfig = {
    ...parsed.value,
    root_prefix: namespaceRootPrefix(parsed.value.root_prefix, namespace),
  };
  const data: Record<string, string> = {
    [OBJECTS.etcdConnectionKey]: Buffer.from(marshalEtcdConfig(config), "utf8").toString("base64"),
  };
  for (const field of FILE_REFERENCE_FIELDS) {
    const key = config[field];
    const value = key === undefined ? undefined : sourceData?.[key];
    if (key !== undefined && value !== undefined) data[key] = value;
  }
  return ok({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: secretName, namespace, labels: { [LABELS.managedBy]: LABELS.controllerName } },
    data,
  });
}
