/**
 * ModelMesh's answer about a vmodel, mapped onto the Predictor status (upstream's `controllers/predictor_controller.go updatePredictorStatusFromVModel` and `decodeModelState`). Pure: the same inputs
 * give the same status, `now` included, so every rule is table-tested. InferenceServices get the same status,
 * then translated by `inference-service-status.ts`.
 */
import type {
  FailureInfo,
  FailureReason,
  ModelState,
  PredictorStatus,
  TransitionStatus,
} from "../../apis/serving/v1alpha1/predictor.js";
import type { ServingConfig } from "../../config/serving-config.js";
import {
  ModelStatusInfo_ModelStatus as ModelStatus,
  type ModelStatusInfo,
  VModelStatusInfo_VModelStatus as VModelStatus,
  type VModelStatusInfo,
} from "../../modelmesh-client/gen/mmesh/model-mesh_pb.js";

/**
 * model-mesh puts this in front of a load failure only in the answer built from its in-memory exception (the
 * `sync` call that waited for the load, the inference that triggered it); its registry and later answers carry the
 * message alone. Dropped, so one failure reads the same in every answer.
 */
export const EXCEPTION_PREFIX = "io.grpc.StatusRuntimeException: ";

/** A load failure as model-mesh words it everywhere but in its first answer. */
export function meshErrorText(message: string): string {
  return message.startsWith(EXCEPTION_PREFIX) ? message.slice(EXCEPTION_PREFIX.length) : message;
}

/** model-mesh's placement failure; the labels it could not satisfy follow the prefix. */
export const NO_INSTANCES_PREFIX = "There are no running instances that meet the label requirements of type ";
/** The constraint label model-mesh requires when no runtime at all declares a type. */
const NO_RUNTIME_SUFFIX = "[_no_runtime]";
const RUNTIME_LABEL_PREFIX = "rt:";

export const MESSAGES = {
  waitingForSupportingRuntime: "Waiting for supporting runtime Pod to become available",
  waitingForRuntimePod: "Waiting for runtime Pod to become available",
  meshNotAnswering: "ModelMesh is not answering; waiting for it to come back",
  runtimeNotRecognized: "Specified runtime name not recognized",
  noSupportingRuntime: "No ServingRuntime supports specified model type and/or protocol",
  sameNameOtherSource: "Predictor already exists with the same name from a different source",
} as const;

const MESH_ENDPOINT_UNREACHABLE_SUFFIX = " (config modelMeshEndpoint) is not reachable";

/** The mesh is dialled at config `modelMeshEndpoint` and does not answer there. */
export function meshEndpointUnreachable(endpoint: string): string {
  return `ModelMesh at ${endpoint}${MESH_ENDPOINT_UNREACHABLE_SUFFIX}`;
}

/** A failure's time is kept for this long when the same failure is seen again (upstream's rule). */
export const FAILURE_TIME_REUSE_MS = 20_000;

/** The inference endpoints of a namespace's ModelMesh Service; both "" when the namespace has no mesh. */
export interface InferenceEndpoints {
  readonly grpc: string;
  readonly http: string;
}

export const NO_ENDPOINTS: InferenceEndpoints = { grpc: "", http: "" };

/** `grpc://<svc>.<ns>:<port>`, and the REST proxy's `http[s]://<svc>.<ns>:<port>` ("" when it is off). */
export function inferenceEndpoints(
  config: Pick<ServingConfig, "inferenceServiceName" | "inferenceServicePort" | "restProxy" | "tls">,
  namespace: string,
): InferenceEndpoints {
  const host = `${config.inferenceServiceName}.${namespace}`;
  const scheme = config.tls.secretName === "" ? "http" : "https";
  return {
    grpc: `grpc://${host}:${config.inferenceServicePort}`,
    http: config.restProxy.enabled ? `${scheme}://${host}:${config.restProxy.port}` : "",
  };
}

export interface DecodedModelState {
  /** "" when model-mesh answered NOT_FOUND or UNKNOWN: the state is then left as it was. */
  readonly state: ModelState;
  readonly reason?: FailureReason;
  readonly message?: string;
}

/** RFC 3339 with whole seconds, as Go's `metav1.Time` serialises. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** One model's state and failure; a missing model status means the model is not registered yet (Pending). */
export function decodeModelState(info: ModelStatusInfo | undefined): DecodedModelState {
  if (info === undefined) return { state: "Pending" };
  const firstError = info.errors[0] === undefined ? undefined : meshErrorText(info.errors[0]);
  const failure = firstError === undefined ? {} : { reason: "ModelLoadFailed" as const, message: firstError };
  switch (info.status) {
    case ModelStatus.NOT_LOADED:
      return { state: "Standby", ...failure };
    case ModelStatus.LOADING:
      // A model moved to a runtime with no running pod (scaled to zero): model-mesh answers "loading" and keeps
      // the placement failure. The runtime is on its way up, so say that (decision 0176).
      if (firstError?.startsWith(NO_INSTANCES_PREFIX) && !firstError.endsWith(NO_RUNTIME_SUFFIX)) {
        return {
          state: "Loading",
          reason: "RuntimeUnhealthy",
          message: MESSAGES.waitingForSupportingRuntime,
        };
      }
      return { state: "Loading", ...failure };
    case ModelStatus.LOADED:
      return { state: "Loaded", ...failure };
    case ModelStatus.LOADING_FAILED: {
      const message = firstError ?? "";
      if (!message.startsWith(NO_INSTANCES_PREFIX)) {
        return { state: "FailedToLoad", reason: "ModelLoadFailed", message };
      }
      if (!message.endsWith(NO_RUNTIME_SUFFIX)) {
        return {
          state: "Loading",
          reason: "RuntimeUnhealthy",
          message: MESSAGES.waitingForSupportingRuntime,
        };
      }
      if (message.slice(NO_INSTANCES_PREFIX.length).startsWith(RUNTIME_LABEL_PREFIX)) {
        return {
          state: "FailedToLoad",
          reason: "RuntimeNotRecognized",
          message: MESSAGES.runtimeNotRecognized,
        };
      }
      return { state: "FailedToLoad", reason: "NoSupportingRuntime", message: MESSAGES.noSupportingRuntime };
    }
    default:
      return { state: "" };
  }
}

export function transitionStatusOf(status: VModelStatus): TransitionStatus | undefined {
  switch (status) {
    case VModelStatus.DEFINED:
      return "UpToDate";
    case VModelStatus.TRANSITIONING:
      return "InProgress";
    case VModelStatus.TRANSITION_FAILED:
      return "BlockedByFailedLoad";
    default:
      return undefined;
  }
}

/** Upstream's `WaitingForRuntime()`. */
export function isWaitingForRuntime(status: Pick<PredictorStatus, "lastFailureInfo">): boolean {
  return status.lastFailureInfo?.reason === "RuntimeUnhealthy";
}

/** The wait is for the mesh to answer at all (see `statusWaitingForMesh`), not for a runtime to place the model. */
function isWaitingForMesh(status: Pick<PredictorStatus, "lastFailureInfo">): boolean {
  const failure = status.lastFailureInfo;
  if (failure?.reason !== "RuntimeUnhealthy") return false;
  const message = failure.message ?? "";
  return (
    message === MESSAGES.waitingForRuntimePod ||
    message === MESSAGES.meshNotAnswering ||
    message.endsWith(MESH_ENDPOINT_UNREACHABLE_SUFFIX)
  );
}

/**
 * Upstream's `loadNow` rule in `ReconcilePredictor`: ask model-mesh to load the target now, not on the first
 * request.
 */
export function shouldLoadNow(status: PredictorStatus, deleting: boolean): boolean {
  if (deleting) return false;
  const active = status.activeModelState;
  return (
    active === "Pending" ||
    active === "FailedToLoad" ||
    status.targetModelState !== "" ||
    (active === "Loading" && isWaitingForRuntime(status))
  );
}

/**
 * Upstream's rule, except that `Pending` (no model registered in ModelMesh, e.g. an invalid spec never sent) is
 * not available: upstream claimed it was (decision 0073).
 */
export function isAvailable(status: PredictorStatus): boolean {
  const active = status.activeModelState;
  return active !== "" && active !== "Pending" && active !== "FailedToLoad" && !isWaitingForRuntime(status);
}

/** `status` with `available` as its states say. */
function withAvailability(status: PredictorStatus): PredictorStatus {
  return { ...status, available: isAvailable(status) };
}

/** When a failure of `reason` began: the stored failure's time if it had the same reason, else now. */
function sameReasonTime(
  previousFailure: FailureInfo | undefined,
  reason: FailureReason | undefined,
  now: Date,
): string {
  const kept =
    previousFailure !== undefined && previousFailure.reason === reason ? previousFailure.time : undefined;
  return kept ?? rfc3339(now);
}

function countCopies(info: ModelStatusInfo | undefined): { total: number; failed: number } {
  const copies = info?.modelCopyInfos ?? [];
  return {
    total: copies.length,
    failed: copies.filter((copy) => copy.copyStatus === ModelStatus.LOADING_FAILED).length,
  };
}

/**
 * The previous failure time when it is recent enough, so a failure seen again does not rewrite the status.
 */
function failureTime(previous: FailureInfo | undefined, now: Date): string {
  const before = previous?.time === undefined ? Number.NaN : Date.parse(previous.time);
  if (previous?.time !== undefined && now.getTime() - before < FAILURE_TIME_REUSE_MS) return previous.time;
  return rfc3339(now);
}

function failureInfo(
  target: DecodedModelState,
  targetInfo: ModelStatusInfo | undefined,
  targetModelId: string,
  previous: FailureInfo | undefined,
  now: Date,
): FailureInfo {
  const info: FailureInfo = {
    ...(target.reason !== undefined && { reason: target.reason }),
    ...(target.message !== undefined && { message: target.message }),
    modelId: targetModelId,
  };
  if (target.reason !== "ModelLoadFailed") return { ...info, time: failureTime(previous, now) };
  const failedCopy = targetInfo?.modelCopyInfos.find(
    (copy) => copy.copyStatus === ModelStatus.LOADING_FAILED,
  );
  if (failedCopy === undefined) return info;
  return {
    location: failedCopy.location,
    ...info,
    time: rfc3339(new Date(Number(failedCopy.time))),
  };
}

/**
 * Upstream's `updatePredictorStatusFromVModel`. `withTransition` is false for an invalid spec, whose vmodel state
 * is shown but whose transition and failure fields the caller sets.
 */
export function mergeVModelStatus(
  previous: PredictorStatus,
  vmodel: VModelStatusInfo,
  options: { withTransition: boolean; now: Date; endpoints: InferenceEndpoints },
): PredictorStatus {
  const next: PredictorStatus = { ...previous };
  const activeInfo = vmodel.activeModelStatus;
  const active = decodeModelState(activeInfo);
  if (active.state !== "") next.activeModelState = active.state;

  const sameTarget = vmodel.activeModelId === vmodel.targetModelId;
  const targetInfo = sameTarget ? activeInfo : vmodel.targetModelStatus;
  let target: DecodedModelState | undefined = active;
  if (sameTarget) {
    next.targetModelState = "";
  } else if (targetInfo === undefined) {
    target = undefined;
  } else {
    target = decodeModelState(targetInfo);
    if (target.state !== "") next.targetModelState = target.state;
  }

  const copies = copiesOf(active, activeInfo, targetInfo, sameTarget);
  next.totalCopies = copies.total;
  next.failedCopies = copies.failed;
  if (options.withTransition) setTransition(next, previous, vmodel, target, targetInfo, options.now);

  next.available = isAvailable(next);
  next.grpcEndpoint = options.endpoints.grpc;
  next.httpEndpoint = options.endpoints.http;
  return next;
}

/**
 * Copies of the active model (unless it failed for another reason than its load) and of a distinct target.
 */
function copiesOf(
  active: DecodedModelState,
  activeInfo: VModelStatusInfo["activeModelStatus"],
  targetInfo: VModelStatusInfo["targetModelStatus"],
  sameTarget: boolean,
): { total: number; failed: number } {
  let total = 0;
  let failed = 0;
  if (active.reason === undefined || active.reason === "ModelLoadFailed") {
    const copies = countCopies(activeInfo);
    total += copies.total;
    failed += copies.failed;
  }
  if (!sameTarget) {
    const copies = countCopies(targetInfo);
    total += copies.total;
    failed += copies.failed;
  }
  return { total, failed };
}

/** The transition status and the last failure, from the vmodel's state and its target's. */
function setTransition(
  next: PredictorStatus,
  previous: PredictorStatus,
  vmodel: VModelStatusInfo,
  target: DecodedModelState | undefined,
  targetInfo: VModelStatusInfo["targetModelStatus"],
  now: Date,
): void {
  let transition = transitionStatusOf(vmodel.status) ?? previous.transitionStatus;
  if (vmodel.status === VModelStatus.TRANSITION_FAILED && targetInfo?.status === ModelStatus.LOADING) {
    transition = "InProgress";
  }
  next.transitionStatus = transition;

  if (target === undefined || targetInfo === undefined || targetInfo.status === ModelStatus.LOADED) {
    delete next.lastFailureInfo;
  } else if (target.reason === undefined) {
    // Upstream keeps a model's wait for a runtime until it has loaded; a wait for the mesh itself ended with
    // this answer (decision 0174).
    if (!isWaitingForRuntime(previous) || isWaitingForMesh(previous)) delete next.lastFailureInfo;
  } else {
    next.lastFailureInfo = failureInfo(
      target,
      targetInfo,
      vmodel.targetModelId,
      previous.lastFailureInfo,
      now,
    );
  }
}

/** After a successful `setVModel`. */
export function statusAfterSetVModel(
  previous: PredictorStatus,
  vmodel: VModelStatusInfo,
  now: Date,
  endpoints: InferenceEndpoints,
): PredictorStatus {
  return mergeVModelStatus(previous, vmodel, { withTransition: true, now, endpoints });
}

/**
 * An invalid spec is never sent to model-mesh, so the model already registered keeps serving; its state is shown
 * when `vmodel` could be read. `modelId` is the id the invalid spec would have had.
 */
export function statusForInvalidSpec(
  previous: PredictorStatus,
  vmodel: VModelStatusInfo | undefined,
  problem: string,
  modelId: string,
  now: Date,
  endpoints: InferenceEndpoints,
): PredictorStatus {
  const merged =
    vmodel === undefined
      ? { ...previous, grpcEndpoint: endpoints.grpc, httpEndpoint: endpoints.http }
      : mergeVModelStatus(previous, vmodel, { withTransition: false, now, endpoints });
  return withAvailability({
    ...merged,
    transitionStatus: "InvalidSpec",
    lastFailureInfo: { reason: "InvalidPredictorSpec", message: problem, modelId },
  });
}

/**
 * The mesh cannot be called (no ready pod, or it does not answer): wait for it, changing nothing else. `message`
 * says which; upstream knew only "no ready pod" ({@link MESSAGES.waitingForRuntimePod}).
 */
export function statusWaitingForMesh(
  previous: PredictorStatus,
  modelId: string,
  endpoints: InferenceEndpoints,
  message: string = MESSAGES.waitingForRuntimePod,
): PredictorStatus {
  return withAvailability({
    ...previous,
    lastFailureInfo: { reason: "RuntimeUnhealthy", message, modelId },
    grpcEndpoint: endpoints.grpc,
    httpEndpoint: endpoints.http,
  });
}

/** model-mesh refused the vmodel because another kind of resource owns that name in the namespace. */
export function statusForNameCollision(
  previous: PredictorStatus,
  endpoints: InferenceEndpoints,
): PredictorStatus {
  return withAvailability({
    ...previous,
    lastFailureInfo: { reason: "InvalidPredictorSpec", message: MESSAGES.sameNameOtherSource },
    grpcEndpoint: endpoints.grpc,
    httpEndpoint: endpoints.http,
  });
}

/**
 * A transition whose target model-mesh has not placed (no copy) while every runtime that could hold it has no
 * ready pod, as after a move to a runtime scaled to zero: the target waits for that runtime (decision 0176).
 * model-mesh may keep its placement failure in the target's errors (see `decodeModelState`) or, after marking the
 * transition failed, report the target as plain LOADING; the runtimes the controller sees decide either way.
 */
export function withTargetRuntimeCapacity(
  status: PredictorStatus,
  vmodel: VModelStatusInfo,
  capacity: RuntimeCapacity,
  previousFailure: FailureInfo | undefined,
  now: Date,
): PredictorStatus {
  const target = vmodel.targetModelStatus;
  const moving = vmodel.activeModelId !== vmodel.targetModelId && target !== undefined;
  if (!moving || capacity !== "notReady" || target.status !== ModelStatus.LOADING) return status;
  if (target.modelCopyInfos.length > 0) return status;
  if (status.lastFailureInfo !== undefined && status.lastFailureInfo.reason !== "RuntimeUnhealthy")
    return status;
  return withAvailability({
    ...status,
    transitionStatus: "InProgress",
    lastFailureInfo: {
      reason: "RuntimeUnhealthy",
      message: MESSAGES.waitingForSupportingRuntime,
      modelId: vmodel.targetModelId,
      time: sameReasonTime(previousFailure, "RuntimeUnhealthy", now),
    },
  });
}

/**
 * Upstream keeps a model's wait for a runtime until the model has loaded (see `mergeVModelStatus`). Once a runtime
 * that can hold it is ready and model-mesh's answer carries no failure of its own, that wait is over: the model is
 * simply loading (a wait the answer itself reports stays, and is asked about again, decision 0073).
 */
export function withoutStaleRuntimeWait(
  status: PredictorStatus,
  vmodel: VModelStatusInfo,
  capacity: RuntimeCapacity,
): PredictorStatus {
  if (capacity !== "ready" || status.lastFailureInfo?.reason !== "RuntimeUnhealthy") return status;
  const sameTarget = vmodel.activeModelId === vmodel.targetModelId;
  const answered = sameTarget ? vmodel.activeModelStatus : vmodel.targetModelStatus;
  if (answered === undefined || decodeModelState(answered).reason !== undefined) return status;
  const { lastFailureInfo: _over, ...rest } = status;
  return withAvailability(rest);
}

/** What the controller sees of the runtimes that could hold a model (from the runtime Deployments). */
export type RuntimeCapacity = "ready" | "notReady" | "none";

const RUNTIME_FAILURES: ReadonlySet<FailureReason | undefined> = new Set<FailureReason>([
  "RuntimeUnhealthy",
  "NoSupportingRuntime",
  "RuntimeNotRecognized",
]);

/**
 * A model that is registered but holds no copy (Standby, Pending) is served by loading it on demand, which
 * needs a ready runtime that supports it. Upstream still claimed `available` after every such runtime was gone,
 * and kept a "waiting for runtime" failure on such a model after the runtime came back; here the status follows
 * the runtimes the controller sees (decision 0073). Loading, loaded and failed models keep model-mesh's word.
 * `previousFailure` is the failure stored before this reconcile: an unchanged reason keeps its time.
 */
export function withRuntimeCapacity(
  status: PredictorStatus,
  capacity: RuntimeCapacity,
  typeLabel: string,
  modelId: string,
  previousFailure: FailureInfo | undefined,
  now: Date,
): PredictorStatus {
  const idle = status.activeModelState === "Standby" || status.activeModelState === "Pending";
  const current = status.lastFailureInfo;
  if (!idle || (current !== undefined && !RUNTIME_FAILURES.has(current.reason))) return status;
  if (capacity === "ready") {
    if (current === undefined) return status;
    const { lastFailureInfo: _cleared, ...rest } = status;
    return withAvailability(rest);
  }
  const failure: FailureInfo =
    capacity === "notReady"
      ? { reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime }
      : typeLabel.startsWith(RUNTIME_LABEL_PREFIX)
        ? { reason: "RuntimeNotRecognized", message: MESSAGES.runtimeNotRecognized }
        : { reason: "NoSupportingRuntime", message: MESSAGES.noSupportingRuntime };
  const time = sameReasonTime(previousFailure, failure.reason, now);
  return { ...status, available: false, lastFailureInfo: { ...failure, modelId, time } };
}
