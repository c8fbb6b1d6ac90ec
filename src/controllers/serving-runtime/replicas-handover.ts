/**
 * Letting go of `spec.replicas` without resetting it. When the only manager of a field stops applying it, the
 * API server removes the field and the Deployment defaults to 1 replica. So, before the controller applies a
 * Deployment without replicas (autoscaler class `hpa` or `external`), the current count is first applied under
 * a separate hand-over manager: the value stays, and the HPA or whoever scales next takes the field over.
 */
import type { V1Deployment, V1ManagedFieldsEntry } from "@kubernetes/client-node";
import { DEPLOYMENTS } from "../../apis/resource-types.js";
import { FIELD_MANAGER } from "../../controller-runtime/apply.js";
import { isStatus, type KubeClient } from "../../controller-runtime/kube-client.js";

export const REPLICAS_HANDOVER_MANAGER = "modelmesh-controller-replicas-handover";

function ownsReplicas(entry: V1ManagedFieldsEntry): boolean {
  const fields = entry.fieldsV1 as { "f:spec"?: { "f:replicas"?: unknown } } | undefined;
  return (
    entry.manager === FIELD_MANAGER &&
    entry.operation === "Apply" &&
    fields?.["f:spec"]?.["f:replicas"] !== undefined
  );
}

/** Whether the controller's own apply holds `spec.replicas` (caches keep that entry: see `stripForCache`). */
export function controllerOwnsReplicas(deployment: V1Deployment): boolean {
  return (deployment.metadata?.managedFields ?? []).some(ownsReplicas);
}

/** Returns whether a hand-over was needed (the controller owned the field until now). */
export async function handOverReplicas(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<boolean> {
  const live = await client.get<V1Deployment>(DEPLOYMENTS, name, namespace);
  const replicas = live?.spec?.replicas;
  if (live === undefined || replicas === undefined) return false;
  if (!controllerOwnsReplicas(live)) return false;
  try {
    await client.apply(
      DEPLOYMENTS,
      {
        apiVersion: DEPLOYMENTS.apiVersion,
        kind: DEPLOYMENTS.kind,
        metadata: { name, namespace },
        spec: { replicas },
      },
      { fieldManager: REPLICAS_HANDOVER_MANAGER },
    );
  } catch (error) {
    // Someone else changed the count meanwhile and owns it now: nothing left to hand over.
    if (!isStatus(error, 409)) throw error;
  }
  return true;
}
