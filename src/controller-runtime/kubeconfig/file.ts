/** Reads a kubeconfig file and resolves its current context. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { isRecord } from "../../lib/is-record.js";
import type { ClusterAccess } from "../cluster-access.js";
import { type ExecConfig, ExecCredentialPlugin } from "./exec-plugin.js";
import {
  type CredentialSource,
  type Credentials,
  FileToken,
  ResolvedClusterAccess,
  type ServerTls,
} from "./resolved-access.js";

/** Kubeconfig fields this loader does not implement: refused by name rather than silently ignored. */
const UNSUPPORTED_CLUSTER_FIELDS = ["proxy-url"];
const UNSUPPORTED_USER_FIELDS = ["auth-provider", "as", "as-uid", "as-groups", "as-user-extra"];

export interface KubeconfigFileOptions {
  /** Environment of exec credential plugins; default this process's. */
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

type Fields = Record<string, unknown>;

/**
 * Reads a kubeconfig file and resolves its current context: the cluster's address and TLS settings and the
 * user's credentials. Relative file paths resolve against the kubeconfig's directory, as in client-go.
 */
export function loadKubeconfigFile(file: string, options: KubeconfigFileOptions = {}): ClusterAccess {
  try {
    return resolveKubeconfig(readFileSync(file, "utf8"), path.dirname(path.resolve(file)), options);
  } catch (error) {
    throw new Error(`kubeconfig ${file}: ${(error as Error).message}`, { cause: error });
  }
}

export function resolveKubeconfig(
  text: string,
  dir: string,
  options: KubeconfigFileOptions = {},
): ClusterAccess {
  const config = parse(text) as unknown;
  if (!isFields(config)) throw new Error("not a kubeconfig (expected a YAML mapping)");
  const contextName = optionalString(config, "current-context", "");
  if (!contextName) throw new Error("no current-context");
  const context = named(config, "contexts", "context", contextName);
  const clusterName = optionalString(context, "cluster", `context ${contextName}`);
  if (!clusterName) throw new Error(`context ${contextName} names no cluster`);
  const cluster = named(config, "clusters", "cluster", clusterName);
  const userName = optionalString(context, "user", `context ${contextName}`);
  const user = userName ? named(config, "users", "user", userName) : {};

  const where = `cluster ${clusterName}`;
  refuseUnsupported(cluster, UNSUPPORTED_CLUSTER_FIELDS, where);
  const server = optionalString(cluster, "server", where);
  if (!server) throw new Error(`${where} has no server`);
  const tls: ServerTls = {
    ca: pemData(cluster, "certificate-authority", dir, where),
    servername: optionalString(cluster, "tls-server-name", where),
    insecureSkipVerify: cluster["insecure-skip-tls-verify"] === true,
  };
  if (tls.ca && tls.insecureSkipVerify)
    throw new Error(`${where} sets both a certificate authority and insecure-skip-tls-verify`);
  const userWhere = `user ${userName}`;
  refuseUnsupported(user, UNSUPPORTED_USER_FIELDS, userWhere);
  return new ResolvedClusterAccess(
    server,
    tls,
    credentialSource(user, userWhere, dir, cluster, server, options),
  );
}

function credentialSource(
  user: Fields,
  where: string,
  dir: string,
  cluster: Fields,
  server: string,
  options: KubeconfigFileOptions,
): CredentialSource {
  const cert = pemData(user, "client-certificate", dir, where);
  const key = pemData(user, "client-key", dir, where);
  if ((cert === undefined) !== (key === undefined))
    throw new Error(`${where} needs both a client certificate and a client key`);
  const token = optionalString(user, "token", where);
  const tokenFilePath = optionalString(user, "tokenFile", where);
  const username = optionalString(user, "username", where);
  const password = optionalString(user, "password", where);
  const basic = username === undefined ? undefined : { username, password: password ?? "" };
  if (basic && (token || tokenFilePath))
    throw new Error(`${where} sets both a username/password and a token`);
  // As client-go: the token file, re-read periodically, wins over `token`.
  const tokenFile = tokenFilePath ? new FileToken(path.resolve(dir, tokenFilePath), options.now) : undefined;
  const fixed: Credentials = { token, basic, cert, key };
  const current = tokenFile ? (): Credentials => ({ ...fixed, token: tokenFile.current() }) : () => fixed;

  if (!isFields(user.exec)) return current;
  const plugin = new ExecCredentialPlugin(
    execConfig(user.exec, `${where} exec`, dir, cluster, server),
    options.env,
    options.now,
  );
  // A plugin's answer replaces the kubeconfig's own token or certificate, as in client-go.
  return async () => {
    const fromPlugin = await plugin.credentials();
    return fromPlugin.token
      ? { ...current(), token: fromPlugin.token }
      : { ...current(), cert: fromPlugin.cert, key: fromPlugin.key };
  };
}

function execConfig(exec: Fields, where: string, dir: string, cluster: Fields, server: string): ExecConfig {
  const command = optionalString(exec, "command", where);
  if (!command) throw new Error(`${where} has no command`);
  const args = exec.args ?? [];
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string"))
    throw new Error(`${where} args must be a list of strings`);
  const env = exec.env ?? [];
  if (!Array.isArray(env) || !env.every((v) => isFields(v) && typeof v.name === "string"))
    throw new Error(`${where} env must be a list of {name, value}`);
  const extensions = Array.isArray(cluster.extensions) ? (cluster.extensions as unknown[]) : [];
  const execExtension = extensions.find(
    (entry) => isFields(entry) && entry.name === "client.authentication.k8s.io/exec",
  ) as Fields | undefined;
  return {
    apiVersion: optionalString(exec, "apiVersion", where) ?? "",
    // client-go resolves a command given as a path (with a separator) against the kubeconfig's directory.
    command: command.includes(path.sep) ? path.resolve(dir, command) : command,
    args,
    env: env.map((v: Fields) => ({ name: String(v.name), value: String(v.value ?? "") })),
    interactiveMode: optionalString(exec, "interactiveMode", where),
    installHint: optionalString(exec, "installHint", where),
    cluster:
      exec.provideClusterInfo === true
        ? {
            server,
            "tls-server-name": cluster["tls-server-name"],
            "insecure-skip-tls-verify": cluster["insecure-skip-tls-verify"],
            "certificate-authority-data": pemData(cluster, "certificate-authority", dir, "cluster")?.toString(
              "base64",
            ),
            config: execExtension?.extension,
          }
        : undefined,
  };
}

/** `<field>-data` (base64, wins as in client-go) or the file `<field>` names. */
function pemData(fields: Fields, field: string, dir: string, where: string): Buffer | undefined {
  const data = optionalString(fields, `${field}-data`, where);
  if (data) return Buffer.from(data, "base64");
  const file = optionalString(fields, field, where);
  if (!file) return undefined;
  const resolved = path.resolve(dir, file);
  try {
    return readFileSync(resolved);
  } catch (error) {
    throw new Error(`${where} ${field} ${resolved}: ${(error as Error).message}`, { cause: error });
  }
}

function named(config: Fields, list: string, key: string, name: string): Fields {
  const entries = Array.isArray(config[list]) ? (config[list] as unknown[]) : [];
  const entry = entries.find((candidate) => isFields(candidate) && candidate.name === name) as
    | Fields
    | undefined;
  if (!entry) throw new Error(`no ${key} named ${JSON.stringify(name)} in ${list}`);
  const value = entry[key] ?? {};
  if (!isFields(value)) throw new Error(`${key} ${name} is not a mapping`);
  return value;
}

function refuseUnsupported(fields: Fields, unsupported: string[], where: string): void {
  const used = unsupported.filter((field) => fields[field] !== undefined && fields[field] !== null);
  if (used.length > 0)
    throw new Error(`${where} uses ${used.join(", ")}, which modelmesh-serving does not support`);
}

function optionalString(fields: Fields, field: string, where: string): string | undefined {
  const value = fields[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new Error(`${where ? `${where} ` : ""}${field} must be a string`);
  return value;
}

function isFields(value: unknown): value is Fields {
  return isRecord(value);
}
