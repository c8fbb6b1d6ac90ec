/** Whether a (Cluster)ServingRuntime is admitted by the webhook, and valid for the reconciler to render. */
import { z } from "zod";
import {
  AUTOSCALER_CLASS_ANNOTATION,
  AUTOSCALER_CLASS_EXTERNAL,
  AUTOSCALER_CLASS_HPA,
  AUTOSCALER_CLASS_NONE,
  AUTOSCALER_METRIC_CPU,
  AUTOSCALER_METRIC_MEMORY,
  MAX_SCALE_ANNOTATION,
  METRICS_ANNOTATION,
  MIN_SCALE_ANNOTATION,
  TARGET_UTILIZATION_PERCENTAGE_ANNOTATION,
} from "../apis/serving/annotations.js";
import {
  type ServingRuntimeSpec,
  ServingRuntimeSpecSchema,
} from "../apis/serving/v1alpha1/serving-runtime.js";
import { isRecord } from "../lib/is-record.js";
import { fail, OK, ok, type Result } from "../lib/result.js";
import { CONTAINERS, PORT_NAMES, PORTS, VOLUMES } from "./constants.js";
import { parseEndpoint, parseRuntimeEndpoints } from "./endpoints.js";

/** Admission outcome for a (Cluster)ServingRuntime. */
export interface AdmissionDecision {
  allowed: boolean;
  message: string;
}

/** The parts of a (Cluster)ServingRuntime the checks look at. */
export interface RuntimeUnderValidation {
  metadata?: { annotations?: Record<string, string> | undefined } | undefined;
  spec: ServingRuntimeSpec;
}

export const NOT_MODEL_MESH_MESSAGE = "Not validating ServingRuntime because it is not ModelMesh compatible";
export const PASSED_MESSAGE = "Passed all validation checks for ServingRuntime";

const ACCEPTED_AUTOSCALER_CLASSES = [AUTOSCALER_CLASS_HPA, AUTOSCALER_CLASS_NONE, AUTOSCALER_CLASS_EXTERNAL];
const SUPPORTED_METRICS = [AUTOSCALER_METRIC_CPU, AUTOSCALER_METRIC_MEMORY];

const RESERVED_CONTAINER_NAMES = new Set<string>([
  CONTAINERS.modelMesh,
  CONTAINERS.restProxy,
  CONTAINERS.puller,
]);
const RESERVED_MOUNT_NAMES = new Set<string>([
  VOLUMES.storageConfig,
  VOLUMES.etcdConfig,
  VOLUMES.typeConstraints,
  VOLUMES.domainSocket,
]);
const RESERVED_VOLUME_NAMES = new Set<string>([...RESERVED_MOUNT_NAMES, VOLUMES.modelsDir]);
const RESERVED_PORT_NAMES = new Set<string>([PORT_NAMES.grpc, PORT_NAMES.http, PORT_NAMES.prometheus]);
/** 8080 carries model-mesh's internal (litelinks) traffic. */
const RESERVED_CONTAINER_PORTS = new Set<number>([
  8080,
  PORTS.defaultAdapter,
  PORTS.modelMeshProbe,
  PORTS.preStop,
]);
const RESERVED_PORT_RANGE = { from: 11881, below: 11900 };
const RESERVED_PREFIX = "mm-";

export const GRPC_ENDPOINT_REQUIRED = "grpcEndpoint is required for a multi-model runtime";

/** Integer parsing with Go `strconv.Atoi` rules (optional sign, decimal digits only). */
function parseGoInt(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

function annotationsOf(runtime: unknown): Record<string, string> {
  const metadata = isRecord(runtime) && isRecord(runtime.metadata) ? runtime.metadata : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  return Object.fromEntries(
    Object.entries(annotations).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

function arrayOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function stringOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}

// ---------------------------------------------------------------------------------------------------------
// Autoscaling annotations: the admission rules of upstream's
// `apis/serving/v1alpha1/servingruntime_webhook.go`

function checkAutoscalerClass(annotations: Record<string, string>): Result<void> {
  const autoscalerClass = annotations[AUTOSCALER_CLASS_ANNOTATION];
  if (autoscalerClass === undefined || autoscalerClass === AUTOSCALER_CLASS_NONE) return OK;
  // `external`: replicas belong to another scaler (KEDA, a custom HPA); the controller leaves them alone.
  if (autoscalerClass === AUTOSCALER_CLASS_EXTERNAL) return OK;
  if (autoscalerClass !== AUTOSCALER_CLASS_HPA) {
    return fail(`[${autoscalerClass}] is not a supported autoscaler class type.\n`);
  }
  return checkMetric(annotations);
}

function checkMetric(annotations: Record<string, string>): Result<void> {
  const metric = annotations[METRICS_ANNOTATION] ?? AUTOSCALER_METRIC_CPU;
  return SUPPORTED_METRICS.includes(metric) ? OK : fail(`[${metric}] is not a supported metric.\n`);
}

function checkTargetUtilization(annotations: Record<string, string>): Result<void> {
  const text = annotations[TARGET_UTILIZATION_PERCENTAGE_ANNOTATION];
  if (text === undefined) return OK;
  const target = parseGoInt(text);
  return target !== undefined && target >= 1 && target <= 100
    ? OK
    : fail("The target utilization percentage should be a [1-100] integer.");
}

/** min-scale must not exceed max-scale; an absent max-scale follows min-scale (the HPA gets max = min). */
function checkScaleBounds(annotations: Record<string, string>): Result<void> {
  let minReplicas = 1;
  const minText = annotations[MIN_SCALE_ANNOTATION];
  if (minText !== undefined) {
    const parsed = parseGoInt(minText);
    if (parsed === undefined) return fail("The min replicas should be a integer.");
    if (parsed < 1) return fail("The min replicas should be more than 0");
    minReplicas = parsed;
  }
  const maxText = annotations[MAX_SCALE_ANNOTATION];
  if (maxText !== undefined) {
    const maxReplicas = parseGoInt(maxText);
    if (maxReplicas === undefined) return fail("The max replicas should be a integer.");
    if (minReplicas > maxReplicas)
      return fail("The max replicas should be same or bigger than min replicas.");
  }
  return OK;
}

function checkHpaSettings(annotations: Record<string, string>, replicas: unknown): Result<void> {
  if (annotations[AUTOSCALER_CLASS_ANNOTATION] !== AUTOSCALER_CLASS_HPA) return OK;
  // Upstream reads an unset replicas field as 65535, so that value counts as unset.
  if (replicas !== undefined && replicas !== 65535) {
    return fail("Autoscaler is enabled and also replicas variable set. You can not set both.");
  }
  return firstFailure([() => checkScaleBounds(annotations), () => checkMetric(annotations)]);
}

function firstFailure(checks: (() => Result<void>)[]): Result<void> {
  for (const check of checks) {
    const result = check();
    if (!result.ok) return result;
  }
  return OK;
}

/** The admission rules for the autoscaling annotations of a multi-model runtime, in upstream order. */
export function validateAutoscaling(annotations: Record<string, string>, replicas: unknown): Result<void> {
  return firstFailure([
    () => checkAutoscalerClass(annotations),
    () => checkTargetUtilization(annotations),
    () => checkHpaSettings(annotations, replicas),
  ]);
}

// ---------------------------------------------------------------------------------------------------------
// Spec rules (upstream's `controllers/servingruntime_validator.go validateServingRuntimeSpec`) and the inputs
// that crashed the upstream controller

function checkReservedName(name: string, reserved: Set<string>, what: string): Result<void> {
  if (reserved.has(name)) return fail(`${what} ${name} is reserved for internal use`);
  if (name.startsWith(RESERVED_PREFIX)) {
    return fail(`${what} cannot start with "${RESERVED_PREFIX}", which is reserved for internal use`);
  }
  return OK;
}

function checkBuiltInAdapter(spec: ServingRuntimeSpec, builtInServerTypes: readonly string[]): Result<void> {
  const adapter = spec.builtInAdapter;
  if (adapter === undefined) return OK;
  const serverType = adapter.serverType ?? "";
  if (!builtInServerTypes.includes(serverType)) {
    return fail(`unrecognized built-in runtime server type ${serverType}`);
  }
  return spec.containers.some((container) => container.name === serverType)
    ? OK
    : fail(`must include runtime container with name ${serverType}`);
}

function checkContainer(container: Record<string, unknown>): Result<void> {
  const named = checkReservedName(stringOf(container.name), RESERVED_CONTAINER_NAMES, "container name");
  if (!named.ok) return named;
  if (container.readinessProbe != null || container.lifecycle != null) {
    return fail("ReadinessProbe and Lifecycle are managed by modelmesh and cannot be set");
  }
  for (const mount of arrayOf(container.volumeMounts)) {
    const result = checkReservedName(stringOf(mount.name), RESERVED_MOUNT_NAMES, "volume");
    if (!result.ok) return result;
  }
  for (const port of arrayOf(container.ports)) {
    const result = checkReservedName(stringOf(port.name), RESERVED_PORT_NAMES, "port name");
    if (!result.ok) return result;
    const containerPort = port.containerPort;
    if (typeof containerPort !== "number") continue;
    if (RESERVED_CONTAINER_PORTS.has(containerPort))
      return fail(`Port ${containerPort} is reserved for internal use`);
    if (containerPort >= RESERVED_PORT_RANGE.from && containerPort < RESERVED_PORT_RANGE.below) {
      return fail("Port range [11881-11899] is reserved for internal use");
    }
  }
  return OK;
}

function checkContainers(spec: ServingRuntimeSpec): Result<void> {
  for (const container of arrayOf(spec.containers)) {
    const result = checkContainer(container);
    if (!result.ok) return fail(`container spec for ${stringOf(container.name)} is invalid: ${result.error}`);
  }
  return OK;
}

function checkVolumes(spec: ServingRuntimeSpec): Result<void> {
  for (const volume of arrayOf(spec.volumes)) {
    const result = checkReservedName(stringOf(volume.name), RESERVED_VOLUME_NAMES, "volume");
    if (!result.ok) return result;
  }
  return OK;
}

function checkEndpoints(spec: ServingRuntimeSpec): Result<void> {
  for (const field of ["grpcEndpoint", "grpcDataEndpoint"] as const) {
    const text = spec[field];
    if (text === undefined) continue;
    const parsed = parseEndpoint(text);
    if (!parsed.ok) return fail(`${field}: ${parsed.error}`);
  }
  const endpoints = parseRuntimeEndpoints(spec);
  if (!endpoints.ok) return fail(endpoints.error);
  if (spec.builtInAdapter !== undefined && spec.grpcEndpoint !== undefined) {
    if (endpoints.value.management?.kind !== "port") {
      return fail(`Built-in adapter grpcEndpoint must be of the form "port:N": ${spec.grpcEndpoint}`);
    }
  }
  // model-mesh reaches the adapter, the puller or the runtime itself only through this endpoint.
  if (spec.grpcEndpoint === undefined) return fail(GRPC_ENDPOINT_REQUIRED);
  return OK;
}

function parseSpec(spec: unknown): Result<ServingRuntimeSpec> {
  const parsed = ServingRuntimeSpecSchema.safeParse(spec);
  if (parsed.success) return ok(parsed.data);
  return fail(`invalid spec: ${z.prettifyError(parsed.error).replaceAll("\n", " ")}`);
}

/**
 * The checks the runtime reconciler applies before rendering anything (upstream's `validateServingRuntimeSpec`, plus the inputs that
 * crashed upstream). A failure means: leave existing objects alone and report `Invalid runtime Spec: <message>`.
 */
export function validateRuntimeSpec(
  runtime: RuntimeUnderValidation,
  builtInServerTypes: readonly string[],
): Result<void> {
  const parsed = parseSpec(isRecord(runtime) ? runtime.spec : undefined);
  if (!parsed.ok) return parsed;
  const spec = parsed.value;
  const annotations = annotationsOf(runtime);
  return firstFailure([
    () => checkBuiltInAdapter(spec, builtInServerTypes),
    () => checkContainers(spec),
    () => checkVolumes(spec),
    () => checkEndpoints(spec),
    () => checkReconcilableAutoscaling(annotations),
  ]);
}

/** The reconciler acts on the `hpa`, `none` and `external` classes and on consistent scale bounds. */
function checkReconcilableAutoscaling(annotations: Record<string, string>): Result<void> {
  const autoscalerClass = annotations[AUTOSCALER_CLASS_ANNOTATION];
  if (autoscalerClass !== undefined && !ACCEPTED_AUTOSCALER_CLASSES.includes(autoscalerClass)) {
    return fail(`[${autoscalerClass}] is not a supported autoscaler class type.`);
  }
  if (autoscalerClass !== AUTOSCALER_CLASS_HPA) return OK;
  const min = parseGoInt(annotations[MIN_SCALE_ANNOTATION] ?? "");
  const max = parseGoInt(annotations[MAX_SCALE_ANNOTATION] ?? "");
  if (min !== undefined && max !== undefined && min > max) {
    return fail("The max replicas should be same or bigger than min replicas.");
  }
  return OK;
}

/**
 * Admission of a ServingRuntime or ClusterServingRuntime: runtimes that are not multi-model are let through
 * untouched; multi-model ones must pass the autoscaling rules, then the spec rules.
 */
export function admitServingRuntime(
  runtime: unknown,
  builtInServerTypes: readonly string[],
): AdmissionDecision {
  const spec = isRecord(runtime) && isRecord(runtime.spec) ? runtime.spec : {};
  if (spec.multiModel !== true) return { allowed: true, message: NOT_MODEL_MESH_MESSAGE };
  const autoscaling = validateAutoscaling(annotationsOf(runtime), spec.replicas);
  if (!autoscaling.ok) return { allowed: false, message: autoscaling.error };
  const specCheck = validateRuntimeSpec(runtime as RuntimeUnderValidation, builtInServerTypes);
  if (!specCheck.ok) return { allowed: false, message: specCheck.error };
  return { allowed: true, message: PASSED_MESSAGE };
}
