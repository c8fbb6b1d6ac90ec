/**
 * The webhook of a controller run on this machine (sandbox, suites): its serving certificate from the test CA, and
 * the install's ValidatingWebhookConfiguration for ServingRuntimes and ClusterServingRuntimes pointed at a
 * loopback port.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { VALIDATE_SERVING_RUNTIME_PATH } from "../../../src/webhook/server.js";
import { loadCertificateAuthority } from "../control-plane/certificates.js";

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
