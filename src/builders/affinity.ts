/**
 * Runtime pods only schedule on the CPU architectures the upstream images are built for (upstream's
 * `controllers/modelmesh/runtime.go addPassThroughPodFieldsToDeployment`).
 */
import type { V1Affinity, V1NodeSelectorTerm } from "@kubernetes/client-node";

const SUPPORTED_ARCHITECTURES = ["amd64", "arm64", "s390x"];

function architectureTerm(): V1NodeSelectorTerm {
  return {
    matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: [...SUPPORTED_ARCHITECTURES] }],
  };
}

/**
 * The runtime's affinity with the architecture term added: as the only required term when there is none, else
 * appended as one more term (terms are OR-ed, so this keeps upstream's placement exactly).
 */
export function runtimeAffinity(affinity: V1Affinity | undefined): V1Affinity {
  const result: V1Affinity = structuredClone(affinity ?? {});
  const nodeAffinity = result.nodeAffinity ?? {};
  result.nodeAffinity = nodeAffinity;
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined || required === null) {
    nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [architectureTerm()] };
  } else {
    required.nodeSelectorTerms = [...(required.nodeSelectorTerms ?? []), architectureTerm()];
  }
  return result;
}
