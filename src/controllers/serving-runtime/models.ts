/**
 * What the models of a namespace ask of its runtimes: the type label each one needs (builders/model-type-labels.ts) and the PVC it
 * reads from. Scale-to-zero, PVC mounts and the model → runtime event mapping all read this.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { INFERENCE_SERVICES, PREDICTORS } from "../../apis/resource-types.js";
import {
  convertInferenceService,
  isModelMeshInferenceService,
} from "../../apis/serving/inference-service-conversion.js";
import { type PredictorSpec, PredictorSpecSchema } from "../../apis/serving/v1alpha1/predictor.js";
import type { InferenceService } from "../../apis/serving/v1beta1/inference-service.js";
import { type ModelDemand, predictorTypeLabel } from "../../builders/model-type-labels.js";
import type { Informer } from "../../controller-runtime/informer.js";
import { byNamespace, NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import { scopedInformer } from "../caches/scoped-informer.js";
import type { ControllerContext } from "../context/context.js";
import { DemandIndex } from "./demand-index.js";

const PVC_STORAGE_TYPE = "pvc";

function demandOfSpec(spec: PredictorSpec): ModelDemand {
  const parameters = spec.storage?.parameters;
  const pvcClaim =
    parameters?.type === PVC_STORAGE_TYPE && parameters.name !== undefined && parameters.name !== ""
      ? parameters.name
      : undefined;
  return { typeLabel: predictorTypeLabel(spec), pvcClaim };
}

function isDeleting(object: KubernetesObject): boolean {
  return object.metadata?.deletionTimestamp !== undefined;
}

/**
 * Demands by cached object: informers replace an object on every change, so an object's demand never changes,
 * and a runtime reconcile reads the demand of every model of its namespace without parsing each spec again.
 */
const demands = new WeakMap<KubernetesObject, ModelDemand | undefined>();

function memoized(object: KubernetesObject, compute: () => ModelDemand | undefined): ModelDemand | undefined {
  if (demands.has(object)) return demands.get(object);
  const demand = compute();
  demands.set(object, demand);
  return demand;
}

/** A Predictor's demand; `undefined` while it is being deleted, unless `evenIfDeleting` (event mapping). */
export function demandOfPredictor(
  predictor: KubernetesObject & { spec?: unknown },
  evenIfDeleting = false,
): ModelDemand | undefined {
  if (!evenIfDeleting && isDeleting(predictor)) return undefined;
  return memoized(predictor, () => {
    const parsed = PredictorSpecSchema.safeParse(predictor.spec);
    return parsed.success ? demandOfSpec(parsed.data) : { typeLabel: undefined, pvcClaim: undefined };
  });
}

/** A ModelMesh InferenceService's demand; `undefined` for other InferenceServices and while deleting. */
export function demandOfInferenceService(
  isvc: KubernetesObject,
  evenIfDeleting = false,
): ModelDemand | undefined {
  if (!evenIfDeleting && isDeleting(isvc)) return undefined;
  return memoized(isvc, () => {
    if (!isModelMeshInferenceService(isvc as InferenceService)) return undefined;
    const converted = convertInferenceService(isvc as InferenceService);
    // Upstream counts an InferenceService it cannot convert as a user of every runtime: never scale under it.
    return converted.ok ? demandOfSpec(converted.value) : { typeLabel: undefined, pvcClaim: undefined };
  });
}

export class ModelCaches {
  readonly predictors: Informer<KubernetesObject>;
  /** Undefined when InferenceServices are not reconciled. */
  readonly inferenceServices: Informer<KubernetesObject> | undefined;
  /** The distinct demands per namespace, kept by the informers' events. */
  readonly demands = new DemandIndex();

  constructor(ctx: Pick<ControllerContext, "manager" | "scope" | "controllerNamespace" | "features">) {
    const request = { indexers: { [NAMESPACE_INDEX]: byNamespace } };
    this.predictors = scopedInformer<KubernetesObject>(ctx, PREDICTORS, request);
    this.#count(this.predictors, "ksp", (object) =>
      demandOfPredictor(object as KubernetesObject & { spec?: unknown }),
    );
    this.inferenceServices = ctx.features.inferenceServices
      ? scopedInformer<KubernetesObject>(ctx, INFERENCE_SERVICES, request)
      : undefined;
    if (this.inferenceServices !== undefined)
      this.#count(this.inferenceServices, "isvc", (object) => demandOfInferenceService(object));
  }

  /** The distinct demands of the namespace's models (a runtime depends on no more than these). */
  demandsOf(namespace: string): ModelDemand[] {
    return this.demands.of(namespace);
  }

  #count(
    informer: Informer<KubernetesObject>,
    kind: string,
    demandOf: (object: KubernetesObject) => ModelDemand | undefined,
  ): void {
    const idOf = (object: KubernetesObject) =>
      `${kind}/${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
    const namespaceOf = (object: KubernetesObject) => object.metadata?.namespace ?? "";
    informer.addEventHandler({
      onAdd: (object, inInitialList) =>
        this.demands.set(idOf(object), namespaceOf(object), demandOf(object), inInitialList),
      onUpdate: (_before, after) => this.demands.set(idOf(after), namespaceOf(after), demandOf(after)),
      onDelete: (object) => this.demands.set(idOf(object), namespaceOf(object), undefined),
    });
  }
}
