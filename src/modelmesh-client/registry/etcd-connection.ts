/**
 * How to reach ModelMesh's etcd and its namespace's key prefix, from the controller namespace's etcd Secret.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";
import type { IOptions } from "etcd3";
import { MODEL_MESH, OBJECTS } from "../../builders/constants.js";
import { type EtcdConfig, namespaceRootPrefix, parseEtcdConfig } from "../../builders/etcd-secret.js";
import { fail, ok, type Result } from "../../lib/result.js";

/**
 * How to reach ModelMesh's etcd, read from the etcd Secret of the controller namespace (upstream's
 * `pkg/mmesh/modelmesh_events.go ModelMeshEventStream.connectToEtcd`).
 */
export interface EtcdConnection {
  /** Options for the `etcd3` client; secrets are inside, never log them. */
  readonly options: IOptions;
  /** `root_prefix` of the controller namespace (may be ""). */
  readonly rootPrefix: string;
  readonly endpoints: readonly string[];
}

/** Upstream dialled etcd with a 10 s timeout. */
const DIAL_TIMEOUT_MS = 10_000;

/**
 * The largest etcd answer accepted: Go's clientv3 default (math.MaxInt32), not gRPC's 4 MiB. A registry of some
 * 9,000 models no longer fits 4 MiB, and its range read is how the registry watcher (re)syncs (decision 0151).
 */
export const ETCD_MAX_RECEIVE_BYTES = 2 ** 31 - 1;

function decode(data: Readonly<Record<string, string>>, key: string): string | undefined {
  const value = data[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
}

/** An inline PEM, or the content of the Secret key a `*_file` field names (which wins, as upstream). */
function pem(
  data: Readonly<Record<string, string>>,
  inline: string | undefined,
  fileKey: string | undefined,
  what: string,
): Result<string | undefined> {
  if (!fileKey) return ok(inline || undefined);
  const referenced = decode(data, fileKey);
  return referenced === undefined
    ? fail(`referenced ${what} secret key not found: ${fileKey}`)
    : ok(referenced);
}

function checkKeyPair(certPem: string, keyPem: string): string | undefined {
  try {
    if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) {
      return "could not load client key pair: private key does not match public key";
    }
  } catch (error) {
    return `could not load client key pair: ${(error as Error).message}`;
  }
  return undefined;
}

/**
 * Parses and checks the Secret's `data` (base64 values). Errors use upstream's messages; TLS is used when the
 * first endpoint is `https://`, a CA is given or a client certificate is given (system roots without a CA).
 */
export function etcdConnectionFromSecret(
  data: Readonly<Record<string, string>> | undefined,
  secretName: string,
): Result<EtcdConnection> {
  const json = data && decode(data, OBJECTS.etcdConnectionKey);
  if (!data || json === undefined) {
    return fail(`Key '${OBJECTS.etcdConnectionKey}' was not found in etcd secret '${secretName}'`);
  }
  const parsed = parseEtcdConfig(json);
  if (!parsed.ok) return parsed;
  const config: EtcdConfig = parsed.value;
  const endpoints = (config.endpoints ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (endpoints.length === 0) return fail(`etcd secret '${secretName}' names no endpoints in 'endpoints'`);

  const ca = pem(data, config.certificate, config.certificate_file, "TLS certificate");
  if (!ca.ok) return ca;
  const key = pem(data, config.client_key, config.client_key_file, "TLS key");
  if (!key.ok) return key;
  const cert = pem(data, config.client_certificate, config.client_certificate_file, "TLS client certificate");
  if (!cert.ok) return cert;
  if ((key.value === undefined) !== (cert.value === undefined)) {
    return fail("need to set both client_key/client_key_file and client_certificate/client_certificate_file");
  }
  if (key.value !== undefined && cert.value !== undefined) {
    const problem = checkKeyPair(cert.value, key.value);
    if (problem) return fail(problem);
  }

  const useTls = endpoints[0]?.startsWith("https://") || ca.value !== undefined || cert.value !== undefined;
  // etcd3 picks TLS per host from the scheme; a host without one is dialled as given.
  const hosts = endpoints.map((e) => (useTls ? e.replace(/^http:\/\//, "https://") : e));
  const options: IOptions = {
    hosts,
    dialTimeout: DIAL_TIMEOUT_MS,
    ...(config.userid ? { auth: { username: config.userid, password: config.password ?? "" } } : {}),
    ...(useTls
      ? {
          credentials: {
            rootCertificate: Buffer.from(ca.value ?? rootCertificates.join("\n")),
            ...(key.value && cert.value
              ? { privateKey: Buffer.from(key.value), certChain: Buffer.from(cert.value) }
              : {}),
          },
        }
      : {}),
    grpcOptions: {
      "grpc.max_receive_message_length": ETCD_MAX_RECEIVE_BYTES,
      ...(config.override_authority
        ? {
            "grpc.default_authority": config.override_authority,
            "grpc.ssl_target_name_override": config.override_authority,
          }
        : {}),
    },
  };
  return ok({ options, rootPrefix: config.root_prefix ?? "", endpoints });
}

/**
 * Where model-mesh keeps one namespace's tables: `<rp>/mm/<service>` with `rp` the secret's root prefix in the
 * controller namespace and `<root_prefix>/mm_ns/<namespace>` elsewhere (the per-namespace Secret copy).
 */
export function meshServicePrefix(
  rootPrefix: string,
  controllerNamespace: string,
  namespace: string,
  serviceName: string,
  kvStorePrefix: string = MODEL_MESH.kvStorePrefix,
): string {
  const rp = namespace === controllerNamespace ? rootPrefix : namespaceRootPrefix(rootPrefix, namespace);
  return `${rp}/${kvStorePrefix}/${serviceName}`;
}
