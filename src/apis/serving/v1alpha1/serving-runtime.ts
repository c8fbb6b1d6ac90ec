/** The ServingRuntime and ClusterServingRuntime kinds (serving.kserve.io/v1alpha1): schemas and types. */
import { z } from "zod";
import {
  AffinitySchema,
  ContainerSchema,
  EnvVarSchema,
  LocalObjectReferenceSchema,
  ObjectMetaSchema,
  PodResourceClaimSchema,
  StringMapSchema,
  TolerationSchema,
  VolumeSchema,
} from "../../kubernetes.js";
import { KIND_CLUSTER_SERVING_RUNTIME, KIND_SERVING_RUNTIME, SERVING_V1ALPHA1 } from "../group.js";

export const SupportedModelFormatSchema = z.object({
  name: z.string().meta({ description: "Name of the model format." }),
  version: z.string().optional().meta({ description: "Version of the model format." }),
  autoSelect: z
    .boolean()
    .optional()
    .meta({ description: "Whether the runtime may be picked automatically for this format." }),
  priority: z
    .int()
    .min(1)
    .optional()
    .meta({ format: "int32", description: "Auto-selection priority (not used by ModelMesh)." }),
});

export const StorageHelperSchema = z.object({
  disabled: z.boolean().optional(),
});

export const BuiltInAdapterSchema = z.object({
  serverType: z
    .string()
    .optional()
    .meta({ description: "A built-in server type such as triton or mlserver; names the runtime container." }),
  runtimeManagementPort: z.int().optional(),
  memBufferBytes: z.int().optional(),
  modelLoadingTimeoutMillis: z.int().optional(),
  env: z.array(EnvVarSchema).optional(),
});

/** Pod-level fields passed through to the runtime's pods. */
const podSpecShape = {
  containers: z.array(ContainerSchema),
  volumes: z.array(VolumeSchema).optional(),
  nodeSelector: StringMapSchema.optional(),
  affinity: AffinitySchema.optional(),
  tolerations: z.array(TolerationSchema).optional(),
  labels: StringMapSchema.optional().meta({ description: "Labels added to the runtime's pods." }),
  annotations: StringMapSchema.optional().meta({ description: "Annotations added to the runtime's pods." }),
  imagePullSecrets: z.array(LocalObjectReferenceSchema).optional(),
  hostIPC: z
    .boolean()
    .optional()
    .meta({ description: "Accepted for KServe compatibility; unused by ModelMesh." }),
  schedulerName: z
    .string()
    .optional()
    .meta({ description: "Accepted for KServe (0.17 and later) compatibility; unused by ModelMesh." }),
  resourceClaims: z
    .array(PodResourceClaimSchema)
    .optional()
    .meta({ description: "Accepted for KServe (0.17 and later) compatibility; unused by ModelMesh." }),
};

/** KServe's multi-node worker settings; accepted so KServe runtime YAML applies, unused by ModelMesh. */
export const WorkerSpecSchema = z.object({
  ...podSpecShape,
  containers: podSpecShape.containers.optional(),
  pipelineParallelSize: z.int().optional(),
  tensorParallelSize: z.int().optional(),
});

export const ServingRuntimeSpecSchema = z.object({
  supportedModelFormats: z.array(SupportedModelFormatSchema).optional(),
  multiModel: z.boolean().optional(),
  disabled: z.boolean().optional(),
  protocolVersions: z.array(z.string()).optional(),
  workerSpec: WorkerSpecSchema.optional(),
  ...podSpecShape,
  grpcEndpoint: z
    .string()
    .optional()
    .meta({ description: 'Model-management gRPC endpoint, "port:N" or "unix:<path>".' }),
  grpcDataEndpoint: z.string().optional().meta({ description: "Inference gRPC endpoint." }),
  httpDataEndpoint: z.string().optional(),
  replicas: z.int().min(0).max(65535).optional(),
  storageHelper: StorageHelperSchema.optional(),
  builtInAdapter: BuiltInAdapterSchema.optional(),
});

/** Upstream's and KServe's runtimes have an empty status and no status subresource; nothing writes it. */
export const ServingRuntimeStatusSchema = z.object({});

function runtimeSchema<K extends string>(kind: K) {
  return z.object({
    apiVersion: z.literal(SERVING_V1ALPHA1).optional(),
    kind: z.literal(kind).optional(),
    metadata: ObjectMetaSchema,
    spec: ServingRuntimeSpecSchema,
    status: ServingRuntimeStatusSchema.optional(),
  });
}

export const ServingRuntimeSchema = runtimeSchema(KIND_SERVING_RUNTIME);
export const ClusterServingRuntimeSchema = runtimeSchema(KIND_CLUSTER_SERVING_RUNTIME);

export type SupportedModelFormat = z.infer<typeof SupportedModelFormatSchema>;
export type StorageHelper = z.infer<typeof StorageHelperSchema>;
export type BuiltInAdapter = z.infer<typeof BuiltInAdapterSchema>;
export type ServingRuntimeSpec = z.infer<typeof ServingRuntimeSpecSchema>;
export type ServingRuntime = z.infer<typeof ServingRuntimeSchema>;
export type ClusterServingRuntime = z.infer<typeof ClusterServingRuntimeSchema>;
