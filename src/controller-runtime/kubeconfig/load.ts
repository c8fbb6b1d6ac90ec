/**
 * Finds the API server as controller-runtime does: --kubeconfig, $KUBECONFIG, the service account,
 * ~/.kube/config.
 */
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { ClusterAccess } from "../cluster-access.js";
import { loadKubeconfigFile } from "./file.js";
import { FileToken, ResolvedClusterAccess } from "./resolved-access.js";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface LoadClusterAccessOptions {
  /** The `--kubeconfig` flag. */
  kubeconfig?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Where `.kube/config` is looked for; default the user's home. */
  homeDir?: string;
  /** The mounted service account (`token`, `ca.crt`); tests point it at a temp dir. */
  serviceAccountDir?: string;
  now?: () => number;
}

/**
 * Finds the API server as controller-runtime does: the `--kubeconfig` flag, then `$KUBECONFIG` (its first
 * existing file), then the pod's service account, then `~/.kube/config`.
 */
export function loadClusterAccess(options: LoadClusterAccessOptions = {}): ClusterAccess {
  const env = options.env ?? process.env;
  const fileOptions = { env, ...(options.now ? { now: options.now } : {}) };
  if (options.kubeconfig) return loadKubeconfigFile(options.kubeconfig, fileOptions);

  const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter((file) => file.length > 0);
  if (listed.length > 0) {
    const file = listed.find((candidate) => existsSync(candidate));
    if (!file) throw new Error(`none of the files in KUBECONFIG exists: ${listed.join(path.delimiter)}`);
    return loadKubeconfigFile(file, fileOptions);
  }

  const inCluster = inClusterAccess(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, options.now);
  if (inCluster.access) return inCluster.access;

  const home = path.join(options.homeDir ?? env.HOME ?? os.homedir(), ".kube", "config");
  if (existsSync(home)) return loadKubeconfigFile(home, fileOptions);
  throw new Error(
    `no API server configured: no --kubeconfig, no KUBECONFIG, not in a cluster (${inCluster.why}), no ${home}`,
  );
}

/** The pod's service account, as client-go's `InClusterConfig`; why not when it does not apply. */
export function inClusterAccess(
  env: NodeJS.ProcessEnv,
  serviceAccountDir: string,
  now: () => number = Date.now,
): { access: ClusterAccess; why?: never } | { access?: never; why: string } {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return { why: "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set" };
  let token: FileToken;
  try {
    token = new FileToken(path.join(serviceAccountDir, "token"), now);
  } catch (error) {
    return { why: (error as Error).message };
  }
  let ca: Buffer | undefined;
  try {
    ca = readFileSync(path.join(serviceAccountDir, "ca.crt"));
  } catch {
    // As client-go: without the mounted CA the system's roots apply.
  }
  const server = `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  return { access: new ResolvedClusterAccess(server, { ca }, () => ({ token: token.current() })) };
}
