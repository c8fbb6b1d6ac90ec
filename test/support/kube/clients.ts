/**
 * How tests talk to the API server: the project's own `KubeClient` (decision 0198), made from a kubeconfig
 * file through client-node's `KubeConfig`, which supplies the credentials.
 */
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { ResourceType } from "../../../src/apis/resource-types.js";
import { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../../src/controller-runtime/metrics.js";

export function loadKubeConfig(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

/** A client with metrics of its own, so they count only this test's requests. */
export function testClient(kubeConfig: KubeConfig): KubeClient {
  return new KubeClient(kubeConfig, createMetricsRegistry().metrics);
}

/** A core/v1 Event as the suites read it back. */
export interface CoreEvent {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  source?: { component?: string; host?: string };
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

/** Creates the object, or replaces it (taking the live resourceVersion) when it exists. */
export async function createOrReplace<T extends KubernetesObject>(
  client: KubeClient,
  type: ResourceType,
  object: T,
): Promise<T> {
  const existing = await client.get(type, object.metadata?.name ?? "", object.metadata?.namespace);
  if (existing === undefined) return client.create(type, object);
  return client.replace(type, {
    ...object,
    metadata: { ...object.metadata, resourceVersion: existing.metadata?.resourceVersion },
  });
}
