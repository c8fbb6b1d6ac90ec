/**
 * The webhook of a controller run on this machine (sandbox, suites): its serving certificate from the test CA, and
 * a ValidatingWebhookConfiguration for ServingRuntimes and ClusterServingRuntimes pointed at a loopback port (a
 * new one like the install's, or the installed one re-pointed).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { KubernetesObject, V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import {
  startWebhookServer,
  VALIDATE_SERVING_RUNTIME_PATH,
  type WebhookServer,
} from "../../../src/webhook/server.js";
import { createCertificateAuthority, loadCertificateAuthority } from "../control-plane/certificates.js";
import { VALIDATING_WEBHOOK_CONFIGURATIONS } from "../kube/resource-types.js";

/**
 * Writes `tls.crt` and `tls.key` for a webhook served on loopback into `certDir`, issued by the control plane's
 * CA in `pkiDir`; returns the CA's certificate, which the webhook registration names.
 */
export async function writeLoopbackWebhookCertificate(pkiDir: string, certDir: string): Promise<string> {
  const ca = await loadCertificateAuthority(
    readFileSync(path.join(pkiDir, "ca.crt"), "utf8"),
    readFileSync(path.join(pkiDir, "ca.key"), "utf8"),
  );
  const serving = await ca.issue({
    commonName: "modelmesh-webhook-server-service",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    usage: "server",
  });
  mkdirSync(certDir, { recursive: true });
  writeFileSync(path.join(certDir, "tls.crt"), serving.certPem);
  writeFileSync(path.join(certDir, "tls.key"), serving.keyPem, { mode: 0o600 });
  return ca.certPem;
}

export function localWebhookConfiguration(port: number, caPem: string): KubernetesObject {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: "modelmesh-servingruntime.serving.kserve.io" },
    webhooks: [
      {
        name: "servingruntime.modelmesh-webhook-server.default",
        admissionReviewVersions: ["v1"],
        clientConfig: {
          url: `https://127.0.0.1:${port}${VALIDATE_SERVING_RUNTIME_PATH}`,
          caBundle: Buffer.from(caPem).toString("base64"),
        },
        failurePolicy: "Fail",
        sideEffects: "None",
        timeoutSeconds: 10,
        rules: [
          {
            apiGroups: ["serving.kserve.io"],
            apiVersions: ["v1alpha1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["servingruntimes", "clusterservingruntimes"],
          },
        ],
      },
    ],
  } as KubernetesObject;
}

/**
 * The installed ValidatingWebhookConfiguration names the webhook Service, which needs a pod and kube-proxy to
 * reach; this points it at the controller on loopback instead (same path, the CA that signed its certificate).
 */
export async function routeInstalledWebhookTo(
  client: KubeClient,
  name: string,
  port: number,
  caPem: string,
): Promise<void> {
  const installed = await client.get<V1ValidatingWebhookConfiguration>(
    VALIDATING_WEBHOOK_CONFIGURATIONS,
    name,
  );
  if (installed === undefined) throw new Error(`no ValidatingWebhookConfiguration ${name} is installed`);
  await client.replace(VALIDATING_WEBHOOK_CONFIGURATIONS, {
    ...installed,
    webhooks: (installed.webhooks ?? []).map((webhook) => ({
      ...webhook,
      clientConfig: {
        url: `https://127.0.0.1:${port}${webhook.clientConfig.service?.path ?? "/"}`,
        caBundle: Buffer.from(caPem).toString("base64"),
      },
    })),
  });
}

/** The webhook server on a loopback port, its certificate from a CA of its own; resolves with the CA too. */
export async function startTestWebhookServer(
  builtInServerTypes: readonly string[],
): Promise<{ server: WebhookServer; caPem: string }> {
  const ca = await createCertificateAuthority("webhook-test-ca");
  const serving = await ca.issue({ commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"], usage: "server" });
  const server = await startWebhookServer({
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    port: 0,
    host: "127.0.0.1",
    builtInServerTypes: () => builtInServerTypes,
  });
  return { server, caPem: ca.certPem };
}
