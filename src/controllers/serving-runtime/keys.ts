/** Which `<namespace>/<runtime>` keys an event concerns: the runtimes a namespace sees, or those serving a demand. */
import { isMultiModel } from "../../builders/effective-runtimes.js";
import { type ModelDemand, runtimeLabelSet, runtimeServes } from "../../builders/model-type-labels.js";
import type { RuntimeCaches } from "../caches/runtime-caches.js";

export interface RuntimeKeys {
  /** Every runtime a namespace sees: its ServingRuntimes and every ClusterServingRuntime. */
  ofNamespace(namespace: string): string[];
  /** The multi-model runtimes of the namespace that can serve the demand. */
  serving(namespace: string, demand: ModelDemand | undefined): string[];
  /** Every runtime of every served namespace. */
  all(): string[];
}

export function runtimeKeys(
  runtimes: Pick<RuntimeCaches, "ofNamespace" | "clusterRuntimeNames">,
  servedNamespaces: () => readonly string[],
  restProxyEnabled: () => boolean,
): RuntimeKeys {
  const ofNamespace = (namespace: string): string[] => {
    const names = new Set([...runtimes.ofNamespace(namespace).keys(), ...runtimes.clusterRuntimeNames()]);
    return [...names].map((name) => `${namespace}/${name}`);
  };
  const serving = (namespace: string, demand: ModelDemand | undefined): string[] => {
    if (demand === undefined || namespace === "") return [];
    const keys: string[] = [];
    for (const [name, runtime] of runtimes.ofNamespace(namespace)) {
      if (!isMultiModel(runtime.object)) continue;
      if (runtimeServes(runtimeLabelSet(name, runtime.object.spec ?? {}, restProxyEnabled()), demand))
        keys.push(`${namespace}/${name}`);
    }
    return keys;
  };
  return { ofNamespace, serving, all: () => servedNamespaces().flatMap(ofNamespace) };
}
