/**
 * The HorizontalPodAutoscaler of a runtime with `serving.kserve.io/autoscalerClass: hpa` (upstream's
 * `controllers/hpa/hpa_reconciler.go createHPA`).
 */
import type { V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import {
  AUTOSCALER_CLASS_ANNOTATION,
  AUTOSCALER_CLASS_NONE,
  AUTOSCALER_METRIC_CPU,
  INFERENCE_SERVICE_LABEL,
  MAX_SCALE_ANNOTATION,
  METRICS_ANNOTATION,
  MIN_SCALE_ANNOTATION,
  TARGET_UTILIZATION_PERCENTAGE_ANNOTATION,
} from "../apis/serving/annotations.js";
import type { ServingConfig } from "../config/serving-config.js";
import { LABELS } from "./constants.js";
import { deploymentName, type RuntimeInput, runtimeOwnerReference } from "./deployment.js";

const DEFAULT_MIN_REPLICAS = 1;
const DEFAULT_MAX_REPLICAS = 1;
const DEFAULT_TARGET_UTILIZATION = 80;

/** The runtime's autoscaler class; `none` when the annotation is absent. */
export function autoscalerClass(annotations: Readonly<Record<string, string>> | undefined): string {
  return annotations?.[AUTOSCALER_CLASS_ANNOTATION] ?? AUTOSCALER_CLASS_NONE;
}

export interface HpaSettings {
  minReplicas: number;
  maxReplicas: number;
  metric: string;
  targetUtilization: number;
  /** Annotations that were not integers and fell back to their defaults (worth a log line). */
  ignoredAnnotations: string[];
}

/** Go `strconv.Atoi`. */
function parseInteger(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function hpaSettings(annotations: Readonly<Record<string, string>> | undefined): HpaSettings {
  const ignoredAnnotations: string[] = [];
  const integer = (key: string, fallback: number): number => {
    const text = annotations?.[key];
    if (text === undefined) return fallback;
    const value = parseInteger(text);
    if (value === undefined) ignoredAnnotations.push(key);
    return value ?? fallback;
  };
  const minReplicas = integer(MIN_SCALE_ANNOTATION, DEFAULT_MIN_REPLICAS);
  const maxReplicas = Math.max(integer(MAX_SCALE_ANNOTATION, DEFAULT_MAX_REPLICAS), minReplicas);
  return {
    minReplicas,
    maxReplicas,
    metric: annotations?.[METRICS_ANNOTATION] ?? AUTOSCALER_METRIC_CPU,
    targetUtilization: integer(TARGET_UTILIZATION_PERCENTAGE_ANNOTATION, DEFAULT_TARGET_UTILIZATION),
    ignoredAnnotations,
  };
}

export function buildRuntimeHpa(
  runtime: Pick<RuntimeInput, "name" | "namespace" | "kind" | "uid" | "metadata">,
  config: ServingConfig,
): V2HorizontalPodAutoscaler {
  const settings = hpaSettings(runtime.metadata?.annotations);
  const name = deploymentName(config, runtime.name);
  const annotations = runtime.metadata?.annotations;
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: {
      name,
      namespace: runtime.namespace,
      labels: {
        ...runtime.metadata?.labels,
        [INFERENCE_SERVICE_LABEL]: runtime.name,
        [LABELS.component]: LABELS.componentPredictor,
      },
      ...(annotations !== undefined && Object.keys(annotations).length > 0
        ? { annotations: { ...annotations } }
        : {}),
      ownerReferences: [runtimeOwnerReference(runtime)],
    },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: settings.minReplicas,
      maxReplicas: settings.maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: {
            name: settings.metric,
            target: { type: "Utilization", averageUtilization: settings.targetUtilization },
          },
        },
      ],
      behavior: {},
    },
  };
}
