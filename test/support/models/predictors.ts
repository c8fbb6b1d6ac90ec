/** Predictors as the controller suites create them. */
import type { KubernetesObject } from "@kubernetes/client-node";

/** A Predictor of `modelType` whose storage is the etcd Secret's `localMinIO` key. */
export function predictor(name: string, namespace: string, modelType = "ml-type1"): KubernetesObject {
  return {
    apiVersion: "serving.kserve.io/v1alpha1",
    kind: "Predictor",
    metadata: { name, namespace },
    spec: { modelType: { name: modelType }, path: "models/m", storage: { key: "localMinIO" } },
  } as KubernetesObject;
}
