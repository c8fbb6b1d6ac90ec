/** What the REST client needs to reach an API server: its address, TLS settings and credentials. */
import type https from "node:https";

/**
 * What the REST client needs to reach the API server: its address and the TLS settings and credentials of a
 * request. Our loader (`kubeconfig/load.ts`) provides it without client-node's generated code; client-node's
 * `KubeConfig` satisfies it too.
 */
export interface ClusterAccess {
  getCurrentCluster(): { readonly server: string } | null;
  /** Sets `ca`, `cert`, `key`, `servername`, `rejectUnauthorized`, `auth` and the `Authorization` header. */
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}
