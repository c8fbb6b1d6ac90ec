/**
 * The `tc-config` ConfigMap (upstream's `controllers/modelmesh/cluster_config.go calculateConstraintData`): model-mesh's type constraints, which pin each model type label
 * to the pods advertising it, plus the fixed data-plane API config telling model-mesh where the model id sits
 * in inference requests.
 */
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import { goJsonString } from "../lib/go-json.js";
import { controllerLabels, OBJECTS } from "./constants.js";
import {
  compareStrings,
  isModelTypeLabel,
  isProtocolLabel,
  runtimeLabelSet,
  runtimeNameLabel,
} from "./model-type-labels.js";

/** Models with no label a runtime satisfies land here: a label no pod has, so they never load. */
const DEFAULT_CONSTRAINT_KEY = "_default";
const NO_RUNTIME_LABEL = "_no_runtime";

/** Sent to model-mesh as is: 4-space indentation, no trailing newline. */
export const DATAPLANE_API_CONFIG = `{
    "rpcConfigs": {
        "inference.GRPCInferenceService/ModelInfer": {
            "idExtractionPath": [1],
            "vModelId": true
        },
        "inference.GRPCInferenceService/ModelMetadata": {
            "idExtractionPath": [1],
            "vModelId": true
        },
        "tensorflow.serving.PredictionService/Predict": {
            "idExtractionPath": [1, 1],
            "vModelId": true
        },
        "org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions": {
            "idExtractionPath": [1],
            "vModelId": true
        }
    },
    "allowOtherRpcs": true
}`;

/**
 * The `type_constraints` JSON for the runtime specs of a namespace (keyed by runtime name), byte for byte as
 * Go's json.Marshal of a map writes it. Disabled and single-model runtimes contribute nothing.
 */
export function typeConstraintsJson(
  specsByRuntimeName: ReadonlyMap<string, ServingRuntimeSpec>,
  restProxyEnabled: boolean,
): string {
  const constraints = new Map<string, string[]>([[DEFAULT_CONSTRAINT_KEY, [NO_RUNTIME_LABEL]]]);
  for (const [runtimeName, spec] of specsByRuntimeName) {
    if (spec.multiModel !== true || spec.disabled === true) continue;
    const rtLabel = runtimeNameLabel(runtimeName);
    constraints.set(rtLabel, [rtLabel]);
    const labels = [...runtimeLabelSet(runtimeName, spec, restProxyEnabled)];
    const protocols = labels.filter(isProtocolLabel);
    for (const typeLabel of labels.filter(isModelTypeLabel)) {
      constraints.set(typeLabel, [typeLabel]);
      for (const protocol of protocols) constraints.set(`${typeLabel}|${protocol}`, [typeLabel, protocol]);
    }
  }
  const entries = [...constraints.keys()].sort(compareStrings).map((key) => {
    const required = (constraints.get(key) ?? []).map(goJsonString).join(",");
    return `${goJsonString(key)}:{"required":[${required}]}`;
  });
  return `{${entries.join(",")}}`;
}

/** The `tc-config` ConfigMap of a namespace. No owner: it serves every runtime of the namespace. */
export function buildTypeConstraintsConfigMap(
  namespace: string,
  specsByRuntimeName: ReadonlyMap<string, ServingRuntimeSpec>,
  restProxyEnabled: boolean,
): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: OBJECTS.typeConstraintsConfigMap, namespace, labels: controllerLabels() },
    binaryData: {
      [OBJECTS.typeConstraintsKey]: base64(typeConstraintsJson(specsByRuntimeName, restProxyEnabled)),
      [OBJECTS.dataplaneConfigKey]: base64(DATAPLANE_API_CONFIG),
    },
  };
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}
