/**
 * The Predictor status of a ModelMesh InferenceService, read from and written into the InferenceService status
 * (upstream's `pkg/predictor_source/inferenceservice_registry.go`: the status its `Get` reads back and `InferenceServiceRegistry.UpdateStatus` writes). Writing MERGES: fields other controllers own (`observedGeneration`, `address`, other
 * conditions, other components) are kept, where upstream replaced the whole status (decision 0072).
 */
import {
  type FailureInfo,
  FailureReasonSchema,
  INITIAL_PREDICTOR_STATUS,
  type ModelState,
  ModelStateSchema,
  type PredictorStatus,
  TransitionStatusSchema,
} from "../../apis/serving/v1alpha1/predictor.js";
import type {
  ComponentStatus,
  Condition,
  InferenceServiceStatus,
  IsvcFailureInfo,
} from "../../apis/serving/v1beta1/inference-service.js";
import { rfc3339 } from "./status.js";

export const PREDICTOR_READY = "PredictorReady";
export const READY = "Ready";
export const PREDICTOR_COMPONENT = "predictor";

function modelState(value: unknown, fallback: ModelState): ModelState {
  const parsed = ModelStateSchema.safeParse(value);
  return parsed.success ? parsed.data : fallback;
}

function fromIsvcFailure(info: IsvcFailureInfo | undefined): FailureInfo | undefined {
  if (info === undefined) return undefined;
  const { modelRevisionName, exitCode: _exitCode, reason, ...rest } = info;
  // A reason only KServe writes (RuntimeDisabled) has no Predictor value and reads as none.
  const known = FailureReasonSchema.safeParse(reason);
  return {
    ...rest,
    ...(known.success && { reason: known.data }),
    ...(modelRevisionName !== undefined && { modelId: modelRevisionName }),
  };
}

function toIsvcFailure(info: FailureInfo): IsvcFailureInfo {
  const { modelId, ...rest } = info;
  return { ...rest, ...(modelId !== undefined && { modelRevisionName: modelId }) };
}

/** What the controller last wrote, as a Predictor status; an empty active state reads as Pending. */
export function predictorStatusOfInferenceService(
  status: InferenceServiceStatus | undefined,
): PredictorStatus {
  const model = status?.modelStatus;
  const transition = TransitionStatusSchema.safeParse(model?.transitionStatus);
  const active = modelState(model?.states?.activeModelState, "Pending");
  const predictor = status?.components?.[PREDICTOR_COMPONENT];
  const failure = fromIsvcFailure(model?.lastFailureInfo);
  return {
    available: status?.conditions?.some((c) => c.type === PREDICTOR_READY && c.status === "True") ?? false,
    transitionStatus: transition.success ? transition.data : INITIAL_PREDICTOR_STATUS.transitionStatus,
    activeModelState: active === "" ? "Pending" : active,
    targetModelState: modelState(model?.states?.targetModelState, ""),
    ...(failure !== undefined && { lastFailureInfo: failure }),
    grpcEndpoint: predictor?.grpcUrl ?? "",
    httpEndpoint: predictor?.restUrl ?? "",
    totalCopies: model?.copies?.totalCopies ?? 0,
    failedCopies: model?.copies?.failedCopies ?? 0,
  };
}

/** A condition with its time kept while its status does not change. */
function condition(existing: readonly Condition[], type: string, ready: boolean, now: Date): Condition {
  const status = ready ? "True" : "False";
  const before = existing.find((c) => c.type === type);
  const lastTransitionTime =
    before?.status === status && before.lastTransitionTime !== undefined
      ? before.lastTransitionTime
      : rfc3339(now);
  return { type, status, lastTransitionTime };
}

function byType(a: Condition, b: Condition): number {
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

function withoutEndpoints(component: ComponentStatus | undefined): ComponentStatus | undefined {
  if (component === undefined) return undefined;
  const { url: _url, grpcUrl: _grpc, restUrl: _rest, ...rest } = component;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * The InferenceService status with `status` written into the fields ModelMesh owns: `modelStatus`, `url`, the
 * predictor component's URLs and the `PredictorReady` and `Ready` conditions. The URLs are present only while the
 * model is available. Everything else is kept as it was.
 */
export function inferenceServiceStatusWith(
  existing: InferenceServiceStatus | undefined,
  status: PredictorStatus,
  now: Date,
): InferenceServiceStatus {
  const {
    url: _url,
    components: existingComponents,
    conditions: existingConditions,
    ...kept
  } = existing ?? {};
  const next: InferenceServiceStatus = {
    ...kept,
    modelStatus: {
      transitionStatus: status.transitionStatus,
      // `targetModelState` even when empty: KServe's CRD defaults it to "", so a status without it would differ
      // from the stored one after every write, and be written again.
      states: { activeModelState: status.activeModelState, targetModelState: status.targetModelState },
      copies: {
        failedCopies: status.failedCopies,
        ...(status.totalCopies !== 0 && { totalCopies: status.totalCopies }),
      },
      ...(status.lastFailureInfo !== undefined && { lastFailureInfo: toIsvcFailure(status.lastFailureInfo) }),
    },
  };

  const components: Record<string, ComponentStatus> = { ...(existingComponents ?? {}) };
  const predictor = withoutEndpoints(components[PREDICTOR_COMPONENT]);
  const grpc = status.grpcEndpoint ?? "";
  const http = status.httpEndpoint ?? "";
  if (status.available && grpc !== "") {
    next.url = grpc;
    components[PREDICTOR_COMPONENT] = {
      ...predictor,
      url: grpc,
      grpcUrl: grpc,
      ...(http !== "" && { restUrl: http }),
    };
  } else if (predictor === undefined) {
    delete components[PREDICTOR_COMPONENT];
  } else {
    components[PREDICTOR_COMPONENT] = predictor;
  }
  if (Object.keys(components).length > 0) next.components = components;

  const others = (existingConditions ?? []).filter((c) => c.type !== PREDICTOR_READY && c.type !== READY);
  const ours = [
    condition(existingConditions ?? [], PREDICTOR_READY, status.available, now),
    condition(existingConditions ?? [], READY, status.available, now),
  ];
  next.conditions = [...others, ...ours].sort(byType);
  return next;
}
