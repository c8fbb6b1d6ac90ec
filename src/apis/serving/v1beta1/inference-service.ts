/** KServe's InferenceService kind (serving.kserve.io/v1beta1), typed where ModelMesh reads it. */
import { z } from "zod";
import { ObjectMetaSchema } from "../../kubernetes.js";
import { KIND_INFERENCE_SERVICE, SERVING_V1BETA1 } from "../group.js";
import { MODEL_STATES, TRANSITION_STATUSES } from "../v1alpha1/predictor.js";

/**
 * KServe's InferenceService carries much more than ModelMesh reads (pod overrides, autoscaling, transformer,
 * explainer...). The fields ModelMesh reads are typed; everything else is kept verbatim (loose objects, which
 * the CRD marks `x-kubernetes-preserve-unknown-fields`) so that any KServe YAML applies unchanged.
 */

export const IsvcStorageSpecSchema = z.object({
  path: z.string().optional(),
  schemaPath: z.string().optional(),
  parameters: z.record(z.string(), z.string()).optional(),
  key: z.string().optional(),
});

/**
 * What every predictor implementation shares: where the model is and how to talk to it (plus container
 * overrides).
 */
const predictorExtensionShape = {
  storageUri: z.string().optional().meta({ description: "Location of the trained model." }),
  runtimeVersion: z.string().optional(),
  protocolVersion: z.string().optional().meta({ description: "v1, v2, grpc-v1 or grpc-v2." }),
  storage: IsvcStorageSpecSchema.optional(),
};

export const FrameworkSpecSchema = z.looseObject(predictorExtensionShape);

export const ModelFormatSchema = z.object({
  name: z.string(),
  version: z.string().optional(),
});

export const ModelSpecSchema = z.looseObject({
  // Not required: upstream's and KServe's CRDs store a model without it (upstream then reads an empty name).
  modelFormat: ModelFormatSchema.optional(),
  runtime: z.string().optional().meta({ description: "Name of the ServingRuntime to use." }),
  ...predictorExtensionShape,
});

/** Framework fields of `spec.predictor`, in the order KServe declares them. */
export const PREDICTOR_FRAMEWORKS = [
  "sklearn",
  "xgboost",
  "tensorflow",
  "pytorch",
  "triton",
  "onnx",
  "huggingface",
  "pmml",
  "lightgbm",
  "paddle",
] as const;
export type PredictorFramework = (typeof PREDICTOR_FRAMEWORKS)[number];

const frameworkFields = Object.fromEntries(
  PREDICTOR_FRAMEWORKS.map((framework) => [framework, FrameworkSpecSchema.optional()]),
) as Record<PredictorFramework, z.ZodOptional<typeof FrameworkSpecSchema>>;

export const IsvcPredictorSpecSchema = z.looseObject({
  ...frameworkFields,
  model: ModelSpecSchema.optional(),
});

export const InferenceServiceSpecSchema = z.looseObject({
  predictor: IsvcPredictorSpecSchema,
  explainer: z.looseObject({}).optional(),
  transformer: z.looseObject({}).optional(),
});

export const ConditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  severity: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const AddressableSchema = z.looseObject({
  url: z.string().optional(),
});

export const ComponentStatusSchema = z.looseObject({
  latestReadyRevision: z.string().optional(),
  latestCreatedRevision: z.string().optional(),
  previousRolledoutRevision: z.string().optional(),
  latestRolledoutRevision: z.string().optional(),
  traffic: z.array(z.looseObject({})).optional(),
  url: z.string().optional(),
  restUrl: z.string().optional(),
  grpcUrl: z.string().optional(),
  address: AddressableSchema.optional(),
});

/*
 * The model status as KServe's CRD has it, from kserve `pkg/apis/serving/v1beta1/inference_service_status.go`
 * (`ModelStatus`, `ModelRevisionStates`, `ModelCopies`, `FailureInfo` and the `+kubebuilder` enum and default
 * markers of `TransitionStatus`, `ModelState`, `FailureReason`). Wider than the Predictor's (upstream's) status:
 * a transition status may be "", and `RuntimeDisabled` is a failure reason.
 */
export const ISVC_TRANSITION_STATUSES = ["", ...TRANSITION_STATUSES] as const;
export const ISVC_FAILURE_REASONS = [
  "ModelLoadFailed",
  "RuntimeUnhealthy",
  "RuntimeDisabled",
  "NoSupportingRuntime",
  "RuntimeNotRecognized",
  "InvalidPredictorSpec",
] as const;

export const IsvcModelStateSchema = z.enum(MODEL_STATES);
export const IsvcTransitionStatusSchema = z.enum(ISVC_TRANSITION_STATUSES);
export const IsvcFailureReasonSchema = z.enum(ISVC_FAILURE_REASONS);

export const IsvcFailureInfoSchema = z.object({
  location: z.string().optional(),
  reason: IsvcFailureReasonSchema.optional(),
  message: z.string().optional(),
  modelRevisionName: z
    .string()
    .optional()
    .meta({ description: "Internal model id, tied to the spec contents." }),
  time: z.string().optional().meta({ format: "date-time" }),
  exitCode: z.int().optional().meta({ format: "int32" }),
});

export const ModelRevisionStatesSchema = z.object({
  activeModelState: IsvcModelStateSchema.default("Pending"),
  // Optional with a default, as KServe's `targetModelState,omitempty` with `+kubebuilder:default=""`.
  targetModelState: IsvcModelStateSchema.optional().meta({ default: "" }),
});

export const ModelCopiesSchema = z.object({
  failedCopies: z.int().default(0),
  totalCopies: z.int().optional(),
});

export const ModelStatusSchema = z.object({
  transitionStatus: IsvcTransitionStatusSchema.default("UpToDate"),
  states: ModelRevisionStatesSchema.optional(),
  lastFailureInfo: IsvcFailureInfoSchema.optional(),
  copies: ModelCopiesSchema.optional(),
});

export const InferenceServiceStatusSchema = z.looseObject({
  observedGeneration: z.int().optional().meta({ format: "int64" }),
  conditions: z.array(ConditionSchema).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  address: AddressableSchema.optional(),
  url: z.string().optional(),
  components: z.record(z.string(), ComponentStatusSchema).optional(),
  modelStatus: ModelStatusSchema.optional(),
});

export const InferenceServiceSchema = z.object({
  apiVersion: z.literal(SERVING_V1BETA1).optional(),
  kind: z.literal(KIND_INFERENCE_SERVICE).optional(),
  metadata: ObjectMetaSchema,
  spec: InferenceServiceSpecSchema,
  status: InferenceServiceStatusSchema.optional(),
});

export type IsvcStorageSpec = z.infer<typeof IsvcStorageSpecSchema>;
export type FrameworkSpec = z.infer<typeof FrameworkSpecSchema>;
export type ModelSpec = z.infer<typeof ModelSpecSchema>;
export type IsvcPredictorSpec = z.infer<typeof IsvcPredictorSpecSchema>;
export type InferenceServiceSpec = z.infer<typeof InferenceServiceSpecSchema>;
export type Condition = z.infer<typeof ConditionSchema>;
export type ComponentStatus = z.infer<typeof ComponentStatusSchema>;
export type IsvcTransitionStatus = z.infer<typeof IsvcTransitionStatusSchema>;
export type IsvcFailureReason = z.infer<typeof IsvcFailureReasonSchema>;
export type IsvcFailureInfo = z.infer<typeof IsvcFailureInfoSchema>;
export type ModelStatus = z.infer<typeof ModelStatusSchema>;
export type InferenceServiceStatus = z.infer<typeof InferenceServiceStatusSchema>;
export type InferenceService = z.infer<typeof InferenceServiceSchema>;
