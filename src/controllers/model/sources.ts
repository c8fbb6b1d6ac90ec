/**
 * Model sources (upstream's "predictor sources"): Predictors (`ksp`) and ModelMesh InferenceServices (`isvc`)
 * seen through one shape, so the reconciler holds the logic once. Reconcile keys carry the source in the
 * namespace part, as upstream: `<ns>/<name>` for a Predictor, `isvc_<ns>/<name>` for an InferenceService
 * (decision 0070).
 */

import type { KubernetesObject } from "@kubernetes/client-node";
import type { ResourceType } from "../../apis/resource-types.js";
import { INFERENCE_SERVICES, PREDICTORS } from "../../apis/resource-types.js";
import {
  convertInferenceService,
  isModelMeshInferenceService,
} from "../../apis/serving/inference-service-conversion.js";
import {
  INITIAL_PREDICTOR_STATUS,
  type PredictorSpec,
  PredictorSpecSchema,
  type PredictorStatus,
  PredictorStatusSchema,
} from "../../apis/serving/v1alpha1/predictor.js";
import type { InferenceService } from "../../apis/serving/v1beta1/inference-service.js";
import { splitKey } from "../../controller-runtime/store.js";
import { fail, ok, type Result } from "../../lib/result.js";
import {
  formatSourceNamespace,
  INFERENCE_SERVICE_SOURCE,
  PREDICTOR_SOURCE,
  parseSourceNamespace,
} from "../../modelmesh-client/model-id.js";
import { inferenceServiceStatusWith, predictorStatusOfInferenceService } from "./inference-service-status.js";

/** A Predictor or InferenceService as the model reconciler sees it. */
export interface ModelView {
  /** False for an InferenceService without the ModelMesh annotation: not ours (any more). */
  readonly managed: boolean;
  readonly spec: Result<PredictorSpec>;
  /** The status the controller last wrote, as a Predictor status. */
  readonly status: PredictorStatus;
}

export interface ModelSource {
  /** Owner id stored on the vmodel. */
  readonly id: string;
  readonly kind: string;
  readonly type: ResourceType;
  view(object: KubernetesObject): ModelView;
  /** The whole status to store for `status`, merged into the object's current one where the kind needs it. */
  statusObject(object: KubernetesObject, status: PredictorStatus, now: Date): unknown;
}

/**
 * One view per object version. An informer replaces an object on every change and never edits one in place, so
 * the index that files it, its reconciles and the runtime lookups that find it share one parse and conversion
 * (thousands of status writes each bring a new version through all three).
 */
function viewedOnce(view: (object: KubernetesObject) => ModelView): (object: KubernetesObject) => ModelView {
  const views = new WeakMap<KubernetesObject, ModelView>();
  return (object) => {
    let viewed = views.get(object);
    if (viewed === undefined) {
      viewed = view(object);
      views.set(object, viewed);
    }
    return viewed;
  };
}

export const PREDICTOR_MODEL_SOURCE: ModelSource = {
  id: PREDICTOR_SOURCE,
  kind: PREDICTORS.kind,
  type: PREDICTORS,
  view: viewedOnce((object) => {
    const raw = object as KubernetesObject & { spec?: unknown; status?: unknown };
    const spec = PredictorSpecSchema.safeParse(raw.spec);
    const status = PredictorStatusSchema.safeParse(raw.status ?? undefined);
    return {
      managed: true,
      spec: spec.success
        ? ok(spec.data)
        : fail(`invalid Predictor spec: ${spec.error.issues.map((i) => i.message).join("; ")}`),
      status: status.success ? status.data : { ...INITIAL_PREDICTOR_STATUS },
    };
  }),
  statusObject: (_object, status) => status,
};

export const INFERENCE_SERVICE_MODEL_SOURCE: ModelSource = {
  id: INFERENCE_SERVICE_SOURCE,
  kind: INFERENCE_SERVICES.kind,
  type: INFERENCE_SERVICES,
  view: viewedOnce((object) => {
    const isvc = object as InferenceService;
    const managed = isModelMeshInferenceService(isvc);
    return {
      managed,
      spec: managed ? convertInferenceService(isvc) : fail("not a ModelMesh InferenceService"),
      status: predictorStatusOfInferenceService(isvc.status),
    };
  }),
  statusObject: (object, status, now) =>
    inferenceServiceStatusWith((object as InferenceService).status, status, now),
};

export interface ModelKey {
  readonly source: string;
  readonly namespace: string;
  readonly name: string;
}

export function modelKey(source: string, namespace: string, name: string): string {
  return `${formatSourceNamespace(source, namespace)}/${name}`;
}

export function parseModelKey(key: string): ModelKey {
  const { namespace: sourceNamespace, name } = splitKey(key);
  const { source, namespace } = parseSourceNamespace(sourceNamespace);
  return { source, namespace, name };
}

/**
 * Upstream's `validatePredictor` (`controllers/predictor_controller.go`), checked only when `storage` is set; the messages are upstream's.
 * Returns the first problem.
 */
export function specProblem(spec: PredictorSpec): string | undefined {
  const storage = spec.storage;
  if (storage === undefined) return undefined;
  if (spec.path !== undefined && spec.path !== "" && storage.path !== undefined) {
    return "Only one of spec.path and spec.storage.path can be specified";
  }
  if (spec.schemaPath !== undefined && storage.schemaPath !== undefined) {
    return "Only one of spec.schemaPath and spec.storage.schemaPath can be specified";
  }
  if (storage.persistentVolumeClaim !== undefined)
    return "spec.storage.PersistentVolumeClaim is not supported";
  if (
    storage.s3 !== undefined &&
    (storage.path !== undefined ||
      storage.schemaPath !== undefined ||
      storage.parameters !== undefined ||
      storage.key !== undefined)
  ) {
    return "spec.storage.s3 cannot be specified with any other keys in spec.storage";
  }
  return undefined;
}
