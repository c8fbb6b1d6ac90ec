import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, inject } from "vitest";
import { NAMESPACES } from "../../../src/apis/resource-types.js";
import { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../../src/controller-runtime/metrics.js";
import { uniqueName } from "./namespaces.js";

/**
 * An admin client of the shared control plane and a Namespace of the suite's own, created before the suite's
 * tests and deleted after them.
 */
export function suiteNamespace(prefix: string): {
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  readonly namespace: string;
} {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(inject("kubeconfigPath"));
  const client = new KubeClient(kubeConfig, createMetricsRegistry().metrics);
  const namespace = uniqueName(prefix);
  beforeAll(async () => {
    await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  });
  afterAll(async () => {
    await client.delete(NAMESPACES, namespace);
  });
  return { kubeConfig, client, namespace };
}
