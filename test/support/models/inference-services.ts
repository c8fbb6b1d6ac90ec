import type { KubernetesObject } from "@kubernetes/client-node";
import { INFERENCE_SERVICES } from "../../../src/apis/resource-types.js";

export type PredictorModel = Record<string, unknown>;

/** An InferenceService served by ModelMesh (the deploymentMode annotation) whose predictor is `model`. */
export function modelMeshInferenceService(
  namespace: string,
  name: string,
  model: PredictorModel,
): KubernetesObject & { spec: { predictor: { model: PredictorModel } } } {
  return {
    apiVersion: INFERENCE_SERVICES.apiVersion,
    kind: INFERENCE_SERVICES.kind,
    metadata: { name, namespace, annotations: { "serving.kserve.io/deploymentMode": "ModelMesh" } },
    spec: { predictor: { model } },
  };
}
