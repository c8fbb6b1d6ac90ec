/** The one namespace helper of the tests: names, Namespace objects, and their creation and removal. */
import { randomBytes } from "node:crypto";
import type { KubeConfig, V1Namespace } from "@kubernetes/client-node";
import { afterAll, beforeAll, inject } from "vitest";
import { NAMESPACES } from "../../../src/apis/resource-types.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { loadKubeConfig, testClient } from "./clients.js";

/** `<prefix>-<6 random hex digits>`: unique enough for the objects of one test run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** The Namespace object `name` (labelled `modelmesh-enabled: "true"` for the cluster-scope controller to serve). */
export function namespaceObject(name: string, labels: Record<string, string> = {}): V1Namespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, ...(Object.keys(labels).length > 0 && { labels }) },
  };
}

/** Creates the Namespace `name` and returns its name. */
export async function createExactNamespace(
  client: KubeClient,
  name: string,
  labels: Record<string, string> = {},
): Promise<string> {
  await client.create(NAMESPACES, namespaceObject(name, labels));
  return name;
}

/** Creates a Namespace named after `prefix` and returns its name. */
export function createNamespace(
  client: KubeClient,
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  return createExactNamespace(client, uniqueName(prefix), labels);
}

/**
 * An admin client of the shared control plane and a Namespace of the suite's own, created before the suite's
 * tests and deleted after them.
 */
export function suiteNamespace(prefix: string): {
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  readonly namespace: string;
} {
  const kubeConfig = loadKubeConfig(inject("kubeconfigPath"));
  const client = testClient(kubeConfig);
  const namespace = uniqueName(prefix);
  beforeAll(async () => {
    await createExactNamespace(client, namespace);
  });
  afterAll(async () => {
    await client.delete(NAMESPACES, namespace);
  });
  return { kubeConfig, client, namespace };
}
