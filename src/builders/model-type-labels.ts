/**
 * Placement labels (upstream's `controllers/modelmesh/model_type_labels.go GetServingRuntimeLabelSets`, `GetPredictorTypeLabel`). A runtime advertises a set of labels; a model asks for a `|`-joined list of
 * labels; model-mesh places the model only on pods whose `MM_LABELS` hold every label asked for.
 */
import type { PredictorSpec } from "../apis/serving/v1alpha1/predictor.js";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";

const MODEL_TYPE_PREFIX = "mt:";
const PROTOCOL_PREFIX = "pv:";
const RUNTIME_PREFIX = "rt:";
const LABEL_SEPARATOR = "|";

/** The REST proxy translates KServe v2 REST to gRPC v2, so a grpc-v2 runtime then serves v2 too. */
const REST_PROXIED_PROTOCOL = "grpc-v2";
const REST_PROTOCOL = "v2";

export function modelTypeLabel(name: string, version?: string | null): string {
  const label = `${MODEL_TYPE_PREFIX}${name}`;
  return version === undefined || version === null ? label : `${label}:${version}`;
}

export function protocolLabel(protocolVersion: string): string {
  return `${PROTOCOL_PREFIX}${protocolVersion}`;
}

export function runtimeNameLabel(runtimeName: string): string {
  return `${RUNTIME_PREFIX}${runtimeName}`;
}

export function isModelTypeLabel(label: string): boolean {
  return label.startsWith(MODEL_TYPE_PREFIX);
}

export function isProtocolLabel(label: string): boolean {
  return label.startsWith(PROTOCOL_PREFIX);
}

/** The labels a runtime's pods advertise. */
export function runtimeLabelSet(
  runtimeName: string,
  spec: Pick<ServingRuntimeSpec, "supportedModelFormats" | "protocolVersions">,
  restProxyEnabled: boolean,
): Set<string> {
  const labels = new Set<string>();
  for (const format of spec.supportedModelFormats ?? []) {
    if (format.autoSelect !== true) continue;
    labels.add(modelTypeLabel(format.name));
    if (format.version !== undefined && format.version !== null)
      labels.add(modelTypeLabel(format.name, format.version));
  }
  for (const protocol of spec.protocolVersions ?? []) {
    labels.add(protocolLabel(protocol));
    if (restProxyEnabled && protocol === REST_PROXIED_PROTOCOL) labels.add(protocolLabel(REST_PROTOCOL));
  }
  labels.add(runtimeNameLabel(runtimeName));
  return labels;
}

/** `MM_LABELS`: the runtime label set, sorted and comma-joined. */
export function modelMeshLabels(labels: ReadonlySet<string>): string {
  return [...labels].sort(compareStrings).join(",");
}

/** The type a model asks for: its explicit runtime, else its model type and protocol. */
export function predictorTypeLabel(
  spec: Pick<PredictorSpec, "modelType" | "runtime" | "protocolVersion">,
): string {
  const runtimeName = spec.runtime?.name;
  if (runtimeName !== undefined && runtimeName !== "") return runtimeNameLabel(runtimeName);
  const typeLabel = modelTypeLabel(spec.modelType.name, spec.modelType.version);
  if (spec.protocolVersion === undefined || spec.protocolVersion === null) return typeLabel;
  return `${typeLabel}${LABEL_SEPARATOR}${protocolLabel(spec.protocolVersion)}`;
}

/** Whether a runtime with these labels can serve a model asking for `typeLabel`. */
export function runtimeSupportsPredictor(runtimeLabels: ReadonlySet<string>, typeLabel: string): boolean {
  return typeLabel.split(LABEL_SEPARATOR).every((part) => runtimeLabels.has(part));
}

/** What a model asks of the runtimes of its namespace. */
export interface ModelDemand {
  /**
   * `undefined` when the model's spec cannot be read: it then counts for every runtime, so none scales down.
   */
  typeLabel: string | undefined;
  /** A PVC the model is stored on (`storage.parameters.type: pvc`). */
  pvcClaim: string | undefined;
}

/** Whether a runtime with these labels serves the demand (an unreadable model counts for every runtime). */
export function runtimeServes(runtimeLabels: ReadonlySet<string>, demand: ModelDemand): boolean {
  return demand.typeLabel === undefined || runtimeSupportsPredictor(runtimeLabels, demand.typeLabel);
}

/** Go's string order (bytewise); identical to code-unit order for the ASCII of label values. */
export function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
