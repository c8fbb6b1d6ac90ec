/**
 * Optional APIs, probed once at start-up through API discovery (which every authenticated client may read, so
 * the probe needs no extra RBAC). Env `ENABLE_ISVC_WATCH` / `ENABLE_CSR_WATCH` as upstream: `false` turns the
 * watch off, `true` makes a missing API fatal, unset follows the probe.
 */

import type { V1APIResourceList } from "@kubernetes/client-node";
import type { ResourceType } from "../../apis/resource-types.js";
import { CLUSTER_SERVING_RUNTIMES, INFERENCE_SERVICES, SERVICE_MONITORS } from "../../apis/resource-types.js";
import { isStatus, type KubeClient } from "../../controller-runtime/kube-client.js";
import { createLogger } from "../../controller-runtime/logging.js";
import type { Features, Scope } from "./context.js";

const log = createLogger("setup");

export class MissingRequiredApiError extends Error {
  override name = "MissingRequiredApiError";
}

/** Whether the API server serves this kind (its CRD is installed and established). */
export async function apiServed(client: KubeClient, type: ResourceType): Promise<boolean> {
  try {
    const list = await client.request<V1APIResourceList>({ method: "GET", path: `/apis/${type.apiVersion}` });
    return list.resources.some((resource) => resource.name === type.plural);
  } catch (error) {
    if (isStatus(error, 404)) return false;
    throw error;
  }
}

type Switch = "on" | "off" | "probe";

function envSwitch(value: string | undefined): Switch {
  if (value === "false") return "off";
  if (value === "true") return "on";
  return "probe";
}

async function decide(client: KubeClient, type: ResourceType, env: string | undefined, envName: string) {
  const wanted = envSwitch(env);
  if (wanted === "off") {
    log.info(`${type.kind} reconciliation disabled by ${envName}=false`);
    return false;
  }
  const served = await apiServed(client, type);
  if (!served && wanted === "on") {
    throw new MissingRequiredApiError(
      `${envName}=true but the ${type.plural}.${type.apiVersion.split("/")[0]} CRD is not installed`,
    );
  }
  log.info(
    served ? `Reconciliation of ${type.kind} is enabled` : `${type.kind} CRD not found, will not reconcile`,
  );
  return served;
}

export interface FeatureEnv {
  ENABLE_ISVC_WATCH?: string | undefined;
  ENABLE_CSR_WATCH?: string | undefined;
}

export async function probeFeatures(client: KubeClient, scope: Scope, env: FeatureEnv): Promise<Features> {
  const inferenceServices = await decide(
    client,
    INFERENCE_SERVICES,
    env.ENABLE_ISVC_WATCH,
    "ENABLE_ISVC_WATCH",
  );
  let clusterServingRuntimes = false;
  if (scope === "namespace") {
    // The namespace-scope install grants nothing cluster-wide, ClusterServingRuntimes included.
    log.info("ClusterServingRuntimes are not reconciled in namespace scope");
  } else {
    clusterServingRuntimes = await decide(
      client,
      CLUSTER_SERVING_RUNTIMES,
      env.ENABLE_CSR_WATCH,
      "ENABLE_CSR_WATCH",
    );
  }
  const serviceMonitors = await apiServed(client, SERVICE_MONITORS);
  if (!serviceMonitors) log.info("Service Monitor CRD is not found in the cluster");
  return { inferenceServices, clusterServingRuntimes, serviceMonitors };
}
