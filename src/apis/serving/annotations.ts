/** Annotation and label keys (and their recognised values) of the serving.kserve.io resources. */

/** InferenceServices are handled only when this annotation equals {@link DEPLOYMENT_MODE_MODEL_MESH}. */
export const DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode";
export const DEPLOYMENT_MODE_MODEL_MESH = "ModelMesh";

/** InferenceService fallbacks for the storage key and schema path. */
export const SECRET_KEY_ANNOTATION = "serving.kserve.io/secretKey";
export const SCHEMA_PATH_ANNOTATION = "serving.kserve.io/schemaPath";
/** Explicit runtime of an InferenceService written in the old (framework) form. */
export const SERVING_RUNTIME_ANNOTATION = "serving.kserve.io/servingRuntime";

/** ServingRuntime autoscaling annotations. */
export const AUTOSCALER_CLASS_ANNOTATION = "serving.kserve.io/autoscalerClass";
export const METRICS_ANNOTATION = "serving.kserve.io/metrics";
export const TARGET_UTILIZATION_PERCENTAGE_ANNOTATION = "serving.kserve.io/targetUtilizationPercentage";
export const MIN_SCALE_ANNOTATION = "serving.kserve.io/min-scale";
export const MAX_SCALE_ANNOTATION = "serving.kserve.io/max-scale";

export const AUTOSCALER_CLASS_HPA = "hpa";
export const AUTOSCALER_CLASS_EXTERNAL = "external";
export const AUTOSCALER_CLASS_NONE = "none";
export const AUTOSCALER_METRIC_CPU = "cpu";
export const AUTOSCALER_METRIC_MEMORY = "memory";

/** ServingRuntime annotations read by the built-in adapter and the runtime reconciler. */
export const MAX_LOADING_CONCURRENCY_ANNOTATION = "maxLoadingConcurrency";
export const PER_MODEL_CONCURRENCY_LIMIT_ANNOTATION = "perModelConcurrencyLimit";
export const PRODUCT_CONFIG_ANNOTATION = "productConfig";

/** Label put on a runtime's HorizontalPodAutoscaler, valued with the runtime name. */
export const INFERENCE_SERVICE_LABEL = "serving.kserve.io/inferenceservice";
