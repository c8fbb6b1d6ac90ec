/**
 * The runtime Deployments of a namespace as the model controller needs them: which labels each advertises
 * (`MM_LABELS` of its `mm` container, exactly what model-mesh places by) and whether it has a ready pod. An index
 * from each label a model asks for to the models asking finds the models a runtime change affects.
 */
import type { V1Deployment } from "@kubernetes/client-node";
import { CONTAINERS, ENV, LABELS } from "../../builders/constants.js";
import { runtimeSupportsPredictor } from "../../builders/model-type-labels.js";
import type { Informer } from "../../controller-runtime/informer.js";
import { NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import type { RuntimeCapacity } from "./status.js";

/** Index of model objects by `<namespace>/<label>` for every `|`-separated part of the type they ask for. */
export const MODEL_LABEL_INDEX = "model.requestedLabel";

export function requestedLabelIndexValues(namespace: string, typeLabel: string | undefined): string[] {
  if (typeLabel === undefined) return [];
  return typeLabel.split("|").map((label) => `${namespace}/${label}`);
}

export interface RuntimeFacts {
  readonly labels: ReadonlySet<string>;
  readonly ready: boolean;
}

/** A Deployment's runtime facts; undefined for a Deployment that is no runtime of the mesh `serviceName`. */
export function runtimeFacts(deployment: V1Deployment, serviceName: string): RuntimeFacts | undefined {
  if (deployment.metadata?.labels?.[LABELS.modelMeshService] !== serviceName) return undefined;
  const mm = deployment.spec?.template?.spec?.containers?.find((c) => c.name === CONTAINERS.modelMesh);
  if (mm === undefined) return undefined;
  const labels = (mm.env?.find((e) => e.name === ENV.labels)?.value ?? "")
    .split(",")
    .map((label) => label.trim())
    .filter((label) => label !== "");
  return { labels: new Set(labels), ready: (deployment.status?.readyReplicas ?? 0) > 0 };
}

export function sameFacts(a: RuntimeFacts | undefined, b: RuntimeFacts | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.ready === b.ready && a.labels.size === b.labels.size && [...a.labels].every((l) => b.labels.has(l))
  );
}

/** Whether some runtime of the namespace could hold a model asking for `typeLabel` now. */
export function runtimeCapacity(
  deployments: Informer<V1Deployment>,
  namespace: string,
  serviceName: string,
  typeLabel: string,
): RuntimeCapacity {
  let capacity: RuntimeCapacity = "none";
  for (const deployment of deployments.store.byIndex(NAMESPACE_INDEX, namespace)) {
    const facts = runtimeFacts(deployment, serviceName);
    if (facts === undefined || !runtimeSupportsPredictor(facts.labels, typeLabel)) continue;
    if (facts.ready) return "ready";
    capacity = "notReady";
  }
  return capacity;
}
