/**
 * TLS for model-mesh and the REST proxy, from the secret named by config `tls.secretName` (upstream's
 * `controllers/modelmesh/tls.go configureMMDeploymentForTLSSecret`).
 */
import type { V1EnvVar } from "@kubernetes/client-node";
import { ENV, PATHS } from "./constants.js";
import { envVar } from "./env.js";

export interface TlsSettings {
  secretName: string;
  /** `tls.clientAuth`, trimmed; empty means no client authentication. */
  clientAuth: string;
  /** Whether the secret (in the runtime's namespace) has a `ca.crt` key to trust as well. */
  secretHasCaCrt: boolean;
}

export function tlsEnv(tls: TlsSettings): V1EnvVar[] {
  const env = [envVar(ENV.tlsKeyCertPath, PATHS.tlsCert), envVar(ENV.tlsPrivateKeyPath, PATHS.tlsKey)];
  if (tls.clientAuth !== "") {
    const trusted = tls.secretHasCaCrt ? `${PATHS.tlsCert},${PATHS.tlsCa}` : PATHS.tlsCert;
    env.push(envVar(ENV.tlsClientAuth, tls.clientAuth), envVar(ENV.tlsTrustCertPath, trusted));
  }
  return env;
}
