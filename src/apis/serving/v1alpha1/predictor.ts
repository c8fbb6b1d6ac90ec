/** The Predictor kind (serving.kserve.io/v1alpha1): spec and status schemas and their types. */
import { z } from "zod";
import { ObjectMetaSchema } from "../../kubernetes.js";
import { KIND_PREDICTOR, SERVING_V1ALPHA1 } from "../group.js";

export const ModelTypeSchema = z.object({
  name: z.string(),
  version: z.string().optional(),
});

export const StorageSpecSchema = z.object({
  path: z.string().optional().meta({ description: "Path of the model inside the storage." }),
  schemaPath: z
    .string()
    .optional()
    .meta({ description: "Path of the model schema file inside the storage." }),
  parameters: z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: "Parameters overriding the default storage credentials and configuration." }),
  key: z.string().optional().meta({ description: "Storage key in the storage-config secret." }),
  persistentVolumeClaim: z
    .object({ claimName: z.string(), readOnly: z.boolean().optional() })
    .optional()
    .meta({ description: "(DEPRECATED) never supported this way." }),
  s3: z
    .object({ secretKey: z.string(), bucket: z.string().optional() })
    .optional()
    .meta({ description: "(DEPRECATED) use key and parameters instead." }),
});

export const GPU_REQUIREMENTS = ["required", "preferred"] as const;

export const PredictorSpecSchema = z.object({
  serviceAccountName: z.string().optional().meta({ description: "NOT YET SUPPORTED" }),
  modelType: ModelTypeSchema,
  path: z.string().optional().meta({ description: "(DEPRECATED) path of the model inside the storage." }),
  schemaPath: z
    .string()
    .optional()
    .meta({ description: "(DEPRECATED) path of the schema inside the storage." }),
  storage: StorageSpecSchema.optional(),
  gpu: z.enum(GPU_REQUIREMENTS).optional(),
  runtime: z
    .object({ name: z.string() })
    .optional()
    .meta({ description: "Explicit runtime; when omitted one is chosen by model type." }),
  protocolVersion: z.string().optional().meta({ description: "v1, v2, grpc-v1 or grpc-v2." }),
});

export const MODEL_STATES = ["", "Pending", "Standby", "Loading", "Loaded", "FailedToLoad"] as const;
export const TRANSITION_STATUSES = ["UpToDate", "InProgress", "BlockedByFailedLoad", "InvalidSpec"] as const;
export const FAILURE_REASONS = [
  "ModelLoadFailed",
  "RuntimeUnhealthy",
  "NoSupportingRuntime",
  "RuntimeNotRecognized",
  "InvalidPredictorSpec",
] as const;

export const ModelStateSchema = z.enum(MODEL_STATES);
export const TransitionStatusSchema = z.enum(TRANSITION_STATUSES);
export const FailureReasonSchema = z.enum(FAILURE_REASONS);

export const FailureInfoSchema = z.object({
  location: z.string().optional().meta({ description: "Component the failure relates to (usually a pod)." }),
  reason: FailureReasonSchema.optional(),
  message: z.string().optional(),
  modelId: z.string().optional().meta({ description: "Internal model id, tied to the spec contents." }),
  time: z.string().optional().meta({ format: "date-time" }),
});

/** Status a Predictor reads before the controller first writes it (the CRD defaults). */
export const INITIAL_PREDICTOR_STATUS = {
  available: false,
  transitionStatus: "UpToDate",
  activeModelState: "Pending",
  targetModelState: "",
  totalCopies: 0,
  failedCopies: 0,
} as const;

export const PredictorStatusSchema = z
  .object({
    available: z.boolean().default(INITIAL_PREDICTOR_STATUS.available),
    transitionStatus: TransitionStatusSchema.default(INITIAL_PREDICTOR_STATUS.transitionStatus),
    activeModelState: ModelStateSchema.default(INITIAL_PREDICTOR_STATUS.activeModelState),
    targetModelState: ModelStateSchema.default(INITIAL_PREDICTOR_STATUS.targetModelState),
    lastFailureInfo: FailureInfoSchema.optional(),
    httpEndpoint: z.string().optional(),
    grpcEndpoint: z.string().optional(),
    totalCopies: z.int().default(INITIAL_PREDICTOR_STATUS.totalCopies),
    failedCopies: z.int().default(INITIAL_PREDICTOR_STATUS.failedCopies),
  })
  .default(INITIAL_PREDICTOR_STATUS);

export const PredictorSchema = z.object({
  apiVersion: z.literal(SERVING_V1ALPHA1).optional(),
  kind: z.literal(KIND_PREDICTOR).optional(),
  metadata: ObjectMetaSchema,
  spec: PredictorSpecSchema,
  status: PredictorStatusSchema,
});

export type ModelType = z.infer<typeof ModelTypeSchema>;
export type StorageSpec = z.infer<typeof StorageSpecSchema>;
export type PredictorSpec = z.infer<typeof PredictorSpecSchema>;
export type ModelState = z.infer<typeof ModelStateSchema>;
export type TransitionStatus = z.infer<typeof TransitionStatusSchema>;
export type FailureReason = z.infer<typeof FailureReasonSchema>;
export type FailureInfo = z.infer<typeof FailureInfoSchema>;
export type PredictorStatus = z.infer<typeof PredictorStatusSchema>;
export type Predictor = z.infer<typeof PredictorSchema>;
