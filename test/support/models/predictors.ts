/** Predictors as the controller suites create them. */
import type { KubernetesObject } from "@kubernetes/client-node";
import { KIND_PREDICTOR, SERVING_V1ALPHA1 } from "../../../src/apis/serving/group.js";
import type { Predictor, PredictorSpec } from "../../../src/apis/serving/v1alpha1/predictor.js";

/** A Predictor of `modelType` whose storage is the etcd Secret's `localMinIO` key. */
export function predictor(name: string, namespace: string, modelType = "ml-type1"): KubernetesObject {
  return {
    apiVersion: "serving.kserve.io/v1alpha1",
    kind: "Predictor",
    metadata: { name, namespace },
    spec: { modelType: { name: modelType }, path: "models/m", storage: { key: "localMinIO" } },
  } as KubernetesObject;
}

/** A Predictor with exactly `spec` (its status is the API server's default). */
export function predictorWithSpec(name: string, namespace: string, spec: PredictorSpec): Predictor {
  return {
    apiVersion: SERVING_V1ALPHA1,
    kind: KIND_PREDICTOR,
    metadata: { name, namespace },
    spec,
  } as Predictor;
}
