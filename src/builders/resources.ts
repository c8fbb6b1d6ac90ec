/** Container resource requirements from a resources section of the user config. */
import type { V1ResourceRequirements } from "@kubernetes/client-node";
import type { ResourceConfig } from "../config/serving-config.js";

/**
 * Container resources from a resources section of the config (quantities validated when the config loaded).
 */
export function containerResources(resources: ResourceConfig): V1ResourceRequirements {
  return {
    requests: { cpu: resources.requests.cpu, memory: resources.requests.memory },
    limits: { cpu: resources.limits.cpu, memory: resources.limits.memory },
  };
}
