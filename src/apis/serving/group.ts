/** API group of every resource this controller serves. */
export const SERVING_GROUP = "serving.kserve.io";

export const V1ALPHA1 = "v1alpha1";
export const V1BETA1 = "v1beta1";

export const SERVING_V1ALPHA1 = `${SERVING_GROUP}/${V1ALPHA1}` as const;
export const SERVING_V1BETA1 = `${SERVING_GROUP}/${V1BETA1}` as const;

export const KIND_SERVING_RUNTIME = "ServingRuntime";
export const KIND_CLUSTER_SERVING_RUNTIME = "ClusterServingRuntime";
export const KIND_PREDICTOR = "Predictor";
export const KIND_INFERENCE_SERVICE = "InferenceService";

export const PLURAL_SERVING_RUNTIMES = "servingruntimes";
export const PLURAL_CLUSTER_SERVING_RUNTIMES = "clusterservingruntimes";
export const PLURAL_PREDICTORS = "predictors";
export const PLURAL_INFERENCE_SERVICES = "inferenceservices";
