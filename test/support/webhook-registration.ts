/**
 * The ValidatingWebhookConfiguration of a controller run on this machine (sandbox, suites): the install's webhook
 * for ServingRuntimes and ClusterServingRuntimes, pointed at a loopback port with the test CA.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { VALIDATE_SERVING_RUNTIME_PATH } from "../../src/webhook/server.js";

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
