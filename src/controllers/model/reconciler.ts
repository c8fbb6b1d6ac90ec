/**
 * The model reconciler (upstream `controllers/predictor_controller.go`, `ReconcilePredictor` and
 * `handlePredictorNotFound`): registers each Predictor and ModelMesh InferenceService as a vmodel in its
 * namespace's ModelMesh and mirrors ModelMesh's answer into the status. A model's next look comes from a registry
 * event, the end of its load (`load-completion.ts`), a runtime, EndpointSlice or reachability change, or its own
 * resource changing; upstream instead polled every loading model each second.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import type { PredictorSpec, PredictorStatus } from "../../apis/serving/v1alpha1/predictor.js";
import { predictorTypeLabel } from "../../builders/model-type-labels.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../../controller-runtime/controller.js";
import type { Informer } from "../../controller-runtime/informer.js";
import { isStatus } from "../../controller-runtime/kube-client.js";
import type { Logger } from "../../controller-runtime/logging.js";
import type { StatusWriter } from "../../controller-runtime/status-writer.js";
import {
  ModelStatusInfo_ModelStatus as ModelStatus,
  VModelStatusInfo_VModelStatus as VModelStatus,
  type VModelStatusInfo,
} from "../../modelmesh-client/gen/mmesh/model-mesh_pb.js";
import {
  isUnreachable,
  LOAD_NOW_LAST_USED_AGE_MS,
  ModelMeshCallError,
  type ModelMeshClient,
} from "../../modelmesh-client/grpc/client.js";
import { concreteModelId, modelLocation } from "../../modelmesh-client/model-id.js";
import type { ControllerContext, EventType } from "../context/context.js";
import type { LoadingModel } from "./load-completion.js";
import type { MeshConnection, MeshConnections } from "./mesh-connections.js";
import { runtimeCapacity } from "./runtime-deployments.js";
import { type ModelSource, modelKey, parseModelKey, specProblem } from "./sources.js";
import { stateChange } from "./state-events.js";
import type { InferenceEndpoints, RuntimeCapacity } from "./status.js";
import {
  inferenceEndpoints,
  MESSAGES,
  shouldLoadNow,
  statusAfterSetVModel,
  statusForInvalidSpec,
  statusForNameCollision,
  statusWaitingForMesh,
  withoutStaleRuntimeWait,
  withRuntimeCapacity,
  withTargetRuntimeCapacity,
} from "./status.js";

/** Earlier versions put this finalizer on every model; it is no longer added, only released (decision 0140). */
export const VMODEL_FINALIZER = "modelmesh.serving.kserve.io/vmodel";

/**
 * Without the etcd registry no event tells that a transition finished; only then is a transitioning model looked
 * at again after this delay.
 */
export const NO_REGISTRY_RECHECK_MS = 5_000;

/**
 * While model-mesh disagrees with what the controller sees (it notices a runtime pod a moment after the API
 * server, decision 0073), the model is asked again after this, doubling up to {@link ASK_AGAIN_MAX_MS}: per
 * model, not through the work queue's overall retry limit (10 per second), which a mesh that came back with
 * thousands of models would turn into minutes.
 */
export const ASK_AGAIN_FIRST_MS = 500;
export const ASK_AGAIN_MAX_MS = 30_000;

/**
 * A first load is shown as `Loading` only once it has lasted this long: a quick load goes from the initial status
 * straight to `Loaded` in one status write instead of two (decision 0090).
 */
export const FIRST_LOADING_STATUS_DELAY_MS = 100;

export interface SourceEntry {
  readonly source: ModelSource;
  readonly informer: Informer<KubernetesObject>;
}

export interface ModelReconcilerOptions {
  readonly ctx: ControllerContext;
  /** By source id (`ksp`, `isvc`). */
  readonly sources: ReadonlyMap<string, SourceEntry>;
  readonly connections: MeshConnections;
  readonly deployments: Informer<V1Deployment>;
  readonly enqueue: (key: string) => void;
  /** Tracks the sources' informers (see `setupModelController`). */
  readonly statusWriter: StatusWriter;
  readonly now?: () => Date;
}

function hasFinalizer(object: KubernetesObject): boolean {
  return object.metadata?.finalizers?.includes(VMODEL_FINALIZER) ?? false;
}

function nameOf(object: KubernetesObject): { namespace: string; name: string } {
  return { namespace: object.metadata?.namespace ?? "", name: object.metadata?.name ?? "" };
}

/** The model was never loaded and ModelMesh now loads it, with nothing failed: the first `Loading`. */
function isFirstLoad(before: PredictorStatus, after: PredictorStatus): boolean {
  return (
    before.activeModelState === "Pending" &&
    before.lastFailureInfo === undefined &&
    after.activeModelState === "Loading" &&
    after.targetModelState === "" &&
    after.lastFailureInfo === undefined
  );
}

/**
 * ModelMesh learns of runtimes later than the API server tells us (its instance records, its type constraints).
 * When its answer about runtimes contradicts the runtime Deployments we see, no event would correct it: the key
 * is retried with backoff until both agree (decision 0073).
 */
function meshDisagrees(status: PredictorStatus, capacity: RuntimeCapacity): boolean {
  switch (status.lastFailureInfo?.reason) {
    case "RuntimeUnhealthy":
      return capacity !== "notReady";
    case "NoSupportingRuntime":
    case "RuntimeNotRecognized":
      return capacity !== "none";
    default:
      return false;
  }
}

/** A failed mesh call: the whole story for the log, and a line that stays the same for its Event. */
interface CallFailure {
  readonly error: Error;
  readonly summary: string;
}

function callFailure(error: unknown, what: string): CallFailure {
  const summary = error instanceof ModelMeshCallError ? error.summary : (error as Error).message;
  return { error: new Error(`${what}: ${(error as Error).message}`), summary: `${what}: ${summary}` };
}

/** What one reconcile of a registered model works with. */
interface LookRequest {
  readonly key: string;
  readonly source: ModelSource;
  readonly name: string;
  readonly previous: PredictorStatus;
  readonly modelId: string;
  readonly endpoints: InferenceEndpoints;
  readonly now: Date;
  readonly connection: MeshConnection;
  readonly client: ModelMeshClient;
  readonly log: Logger;
}

/** What a look at the mesh found: the status to write, the mesh's answer, and how to go on. */
interface Look {
  readonly next: PredictorStatus;
  readonly vmodel?: VModelStatusInfo;
  readonly failure?: CallFailure;
  /**
   * The look must be repeated although it succeeded: model-mesh does not agree yet with what the controller sees
   * (a runtime it has not noticed, a call it did not answer).
   */
  readonly askAgain?: boolean;
  /** A Warning Event the look calls for beside the status. */
  readonly warning?: { readonly reason: string; readonly message: string };
}

/**
 * model-mesh counts one reference too many when a vmodel is pointed back at its active model while a transition
 * is pending (a user reverting a failed update): that model then outlives the vmodel (decision 0177).
 */
export const REFERENCE_LEAK_REASON = "ModelMeshReferenceLeak";

function referenceLeakWarning(activeId: string, pendingId: string) {
  return {
    reason: REFERENCE_LEAK_REASON,
    message: `Reverted to the active model ${activeId} while the transition to ${pendingId} was pending: ModelMesh now counts one reference too many on ${activeId}, which stays registered after this resource is deleted (see docs/troubleshooting.md)`,
  };
}

/** The active model's copy that is loading, when the mesh's answer has one. */
function loadingCopy(vmodel: VModelStatusInfo | undefined): Omit<LoadingModel, "key"> | undefined {
  const active = vmodel?.activeModelStatus;
  if (vmodel === undefined || active?.status !== ModelStatus.LOADING) return undefined;
  const copy = active.modelCopyInfos[0];
  return {
    modelId: vmodel.activeModelId,
    location: copy?.location ?? "",
    placedAt: copy === undefined ? Date.now() : Number(copy.time),
  };
}

/**
 * model-mesh parked the transition for want of a place for its target: marked failed, the target still "loading"
 * with no copy and no failure of its own (`PendingTransition` found nowhere to load it).
 */
function isParkedUnplaced(vmodel: VModelStatusInfo): boolean {
  const target = vmodel.targetModelStatus;
  return (
    vmodel.status === VModelStatus.TRANSITION_FAILED &&
    vmodel.activeModelId !== vmodel.targetModelId &&
    target?.status === ModelStatus.LOADING &&
    target.modelCopyInfos.length === 0
  );
}

/**
 * The mesh holds a loaded copy of the active model. Only a loaded copy counts: a reload that a flapping instance
 * drops again before it ended is asked for again in the same epoch.
 */
function isLoaded(vmodel: VModelStatusInfo): boolean {
  return vmodel.activeModelStatus?.status === ModelStatus.LOADED;
}

export class ModelReconciler implements Reconciler {
  readonly #options: ModelReconcilerOptions;
  readonly #now: () => Date;
  /** Models whose first load began without its `Loading` status being written yet: key → when first seen. */
  readonly #firstLoadSince = new Map<string, number>();
  /** Models that reported a failure since they were last Loaded: their recovery gets its Event. */
  readonly #failedSinceLoaded = new Set<string>();
  /** How often each model was asked again in a row while model-mesh disagreed. */
  readonly #askedAgain = new Map<string, number>();
  /** The mesh epoch in which each model was last seen loaded (see `MeshConnection.epoch`). */
  readonly #loadedInEpoch = new Map<string, number>();

  constructor(options: ModelReconcilerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  async reconcile(key: string, { log }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const { source: sourceId, namespace, name } = parseModelKey(key);
    const entry = this.#options.sources.get(sourceId);
    if (entry === undefined) {
      log.error({ source: sourceId }, "Ignoring reconciliation event from unrecognized source");
      return undefined;
    }
    try {
      const object = entry.informer.store.getByName(name, namespace);
      const connection = await this.#options.connections.get(namespace);
      if (object === undefined || object.metadata?.deletionTimestamp !== undefined) {
        this.#firstLoadSince.delete(key);
        this.#failedSinceLoaded.delete(key);
        this.#loadedInEpoch.delete(key);
        this.#askedAgain.delete(key);
        connection?.loads?.forget(key);
      }
      if (object === undefined) {
        await this.#deleteVModel(entry.source, namespace, name, connection, log);
        return undefined;
      }
      const view = entry.source.view(object);
      if (!view.managed || object.metadata?.deletionTimestamp !== undefined) {
        await this.#release(entry.source, object, connection, log);
        return undefined;
      }
      if (connection === undefined) {
        log.debug("namespace is not served by ModelMesh; nothing to do until it is");
        return undefined;
      }
      return await this.#register(key, entry.source, object, connection, log);
    } catch (error) {
      if (isStatus(error, 409)) {
        log.debug("stale cache (409 Conflict); retrying");
        return { requeue: true };
      }
      throw error;
    }
  }

  /** The resource is gone (or no longer ModelMesh's): its vmodel goes too. */
  async #deleteVModel(
    source: ModelSource,
    namespace: string,
    name: string,
    connection: MeshConnection | undefined,
    log: Logger,
  ): Promise<"deleted" | "unreachable"> {
    const client = connection?.client;
    if (client === undefined) return "unreachable";
    try {
      await client.deleteVModel({ vModelId: name, owner: source.id });
    } catch (error) {
      // No mesh pod runs: the vmodel is removed when one is ready again (the namespace's vmodels are swept then).
      if (isUnreachable(error)) return "unreachable";
      throw new Error(
        `failed to remove corresponding VModel for deleted ${source.kind} ${namespace}/${name}: ${(error as Error).message}`,
      );
    }
    log.debug("VModel removed");
    // A resource of another kind with the same name may have been refused this name.
    for (const [otherId, other] of this.#options.sources) {
      if (otherId !== source.id && other.informer.store.getByName(name, namespace) !== undefined) {
        this.#options.enqueue(modelKey(otherId, namespace, name));
      }
    }
    return "deleted";
  }

  /** Deleted, or an InferenceService that lost the ModelMesh annotation: deregister, then let it go. */
  async #release(
    source: ModelSource,
    object: KubernetesObject,
    connection: MeshConnection | undefined,
    log: Logger,
  ): Promise<void> {
    const { namespace, name } = nameOf(object);
    const outcome = await this.#deleteVModel(source, namespace, name, connection, log);
    if (!hasFinalizer(object)) return;
    await this.#options.ctx.manager.client.mergePatch(
      source.type,
      { namespace, name },
      {
        metadata: {
          resourceVersion: object.metadata?.resourceVersion,
          finalizers: (object.metadata?.finalizers ?? []).filter((f) => f !== VMODEL_FINALIZER),
        },
      },
    );
    log.info({ outcome }, "VModel removed; finalizer released");
    const message =
      outcome === "deleted"
        ? `Removed vmodel ${name} from ModelMesh`
        : `ModelMesh of namespace ${namespace} is not reachable; its vmodel ${name} is removed once it is`;
    this.#record(object, "Normal", "VModelDeleted", message);
  }

  async #register(
    key: string,
    source: ModelSource,
    object: KubernetesObject,
    connection: MeshConnection,
    log: Logger,
  ): Promise<ReconcileResult | undefined> {
    if (connection.client === undefined) {
      const problem = connection.problem ?? "no ModelMesh client";
      this.#record(object, "Warning", "ModelMeshConnectionFailed", problem);
      throw new Error(problem);
    }
    const { namespace, name } = nameOf(object);
    const view = source.view(object);
    const spec = view.spec.ok ? view.spec.value : undefined;
    const request: LookRequest = {
      key,
      source,
      name,
      previous: view.status,
      modelId: spec === undefined ? "" : concreteModelId(name, source.id, spec),
      endpoints: inferenceEndpoints(this.#options.ctx.config.current(), namespace),
      now: this.#now(),
      connection,
      client: connection.client,
      log,
    };
    const problem = view.spec.ok ? spec && specProblem(spec) : view.spec.error;
    const look =
      spec === undefined || problem !== undefined
        ? await this.#lookAtInvalidSpec(request, problem ?? "")
        : await this.#setVModel(request, spec);
    return this.#settle(request, object, look);
  }

  /** An invalid spec is never sent; the registered model's state is read to show it beside the problem. */
  async #lookAtInvalidSpec(request: LookRequest, problem: string): Promise<Look> {
    const { previous, modelId, endpoints, now, log, client, source, name } = request;
    log.info({ problem }, `Invalid ${source.kind} specification`);
    let vmodel: VModelStatusInfo | undefined;
    let failure: CallFailure | undefined;
    if (request.connection.unreachable() === undefined) {
      try {
        vmodel = await client.getVModelStatus({ vModelId: name, owner: source.id });
      } catch (error) {
        if (!isUnreachable(error)) failure = callFailure(error, "failed GetVModelStatus");
      }
    }
    return { next: statusForInvalidSpec(previous, vmodel, problem, modelId, now, endpoints), failure };
  }

  async #setVModel(request: LookRequest, spec: PredictorSpec): Promise<Look> {
    const { key, previous, modelId, endpoints, now, log, client, connection, source, name } = request;
    const unreachable = connection.unreachable();
    if (unreachable !== undefined) {
      return { next: statusWaitingForMesh(previous, modelId, endpoints, unreachable) };
    }
    const typeLabel = predictorTypeLabel(spec);
    const location = modelLocation(spec);
    const reload = this.#loadedBefore(key, connection);
    const pendingTarget =
      previous.targetModelState === "" ? undefined : await this.#revertedTransition(request);
    let vmodel: VModelStatusInfo;
    try {
      vmodel = await client.setVModel({
        vModelId: name,
        owner: source.id,
        targetModelId: modelId,
        autoDeleteTargetModel: true,
        loadNow: shouldLoadNow(previous, false) || reload,
        modelInfo: { type: typeLabel, path: location.path, key: location.key },
      });
    } catch (error) {
      return this.#setVModelFailed(request, error);
    }
    log.debug({ modelId, reload }, "SetVModel succeeded");
    const capacity = runtimeCapacity(
      this.#options.deployments,
      request.connection.namespace,
      this.#options.ctx.config.current().inferenceServiceName,
      typeLabel,
    );
    // A parked target gets placed once a runtime can hold it; until model-mesh sees that runtime, ask again.
    const unplaced = capacity === "ready" && isParkedUnplaced(vmodel);
    const placed = unplaced ? await this.#placeTarget(request, vmodel.targetModelId) : true;
    const answered = withoutStaleRuntimeWait(
      statusAfterSetVModel(previous, vmodel, now, endpoints),
      vmodel,
      capacity,
    );
    const next = withTargetRuntimeCapacity(
      withRuntimeCapacity(answered, capacity, typeLabel, modelId, previous.lastFailureInfo, now),
      vmodel,
      capacity,
      previous.lastFailureInfo,
      now,
    );
    // ModelMesh learns of runtimes later than the API server tells us: retried until both agree (decision 0073).
    return {
      next,
      vmodel,
      ...((meshDisagrees(next, capacity) || !placed) && { askAgain: true }),
      ...(pendingTarget !== undefined && { warning: referenceLeakWarning(modelId, pendingTarget) }),
    };
  }

  /**
   * model-mesh parked the transition when it found nowhere to place the target; a runtime that can hold it is
   * ready now, and a placement of the target makes model-mesh take the transition up again (decision 0176).
   * Whether model-mesh placed it: it may not see the runtime yet.
   */
  async #placeTarget(request: LookRequest, targetModelId: string): Promise<boolean> {
    request.log.info(
      { targetModelId },
      "a runtime for the waiting target is ready; asking ModelMesh to load it",
    );
    try {
      const answer = await request.client.ensureLoaded({
        modelId: targetModelId,
        sync: false,
        lastUsedTime: BigInt(request.now.getTime() - LOAD_NOW_LAST_USED_AGE_MS),
      });
      return answer.status !== ModelStatus.LOADING_FAILED;
    } catch (error) {
      request.log.info({ err: error }, "could not ask ModelMesh to load the target; asking again");
      return false;
    }
  }

  /** The pending target when this reconcile points the vmodel back at its active model, else undefined. */
  async #revertedTransition(request: LookRequest): Promise<string | undefined> {
    try {
      const vmodel = await request.client.getVModelStatus({
        vModelId: request.name,
        owner: request.source.id,
      });
      const pending = vmodel.targetModelId;
      return vmodel.activeModelId === request.modelId && pending !== "" && pending !== request.modelId
        ? pending
        : undefined;
    } catch {
      return undefined; // the setVModel that follows reports the mesh's state
    }
  }

  #setVModelFailed(request: LookRequest, error: unknown): Look {
    const { previous, modelId, endpoints, log, connection, source, name } = request;
    if (isUnreachable(error)) {
      const reason = connection.unreachable();
      log.debug({ err: error }, "ModelMesh did not answer");
      const next = statusWaitingForMesh(previous, modelId, endpoints, reason ?? MESSAGES.meshNotAnswering);
      // When the connection saw the outage too, its return requeues the namespace; else this was a blip.
      return { next, ...(reason === undefined && { askAgain: true }) };
    }
    if (error instanceof ModelMeshCallError && error.code === GrpcStatus.ALREADY_EXISTS) {
      log.info({ details: error.details }, "the name is taken by a resource of another kind");
      return { next: statusForNameCollision(previous, endpoints) };
    }
    return { next: previous, failure: callFailure(error, `failed to SetVModel for ${source.kind} ${name}`) };
  }

  /** Writes what the look found, records its Event, and decides when the model is looked at next. */
  async #settle(request: LookRequest, object: KubernetesObject, look: Look) {
    const { key, source, previous, now, connection, log } = request;
    const { next, vmodel, failure } = look;
    const loading = failure === undefined ? loadingCopy(vmodel) : undefined;
    if (loading === undefined) connection.loads?.forget(key);
    if (failure === undefined && isFirstLoad(previous, next)) {
      const since = this.#firstLoadSince.get(key) ?? now.getTime();
      const waited = now.getTime() - since;
      if (waited < FIRST_LOADING_STATUS_DELAY_MS) {
        // A quick load ends before this: its status goes from Pending to Loaded in one write (decision 0090).
        this.#firstLoadSince.set(key, since);
        log.debug("first load started; its Loading status waits a moment");
        if (loading === undefined) return { requeueAfter: FIRST_LOADING_STATUS_DELAY_MS - waited };
        connection.loads?.watch({ key, ...loading }, FIRST_LOADING_STATUS_DELAY_MS - waited);
        return undefined;
      }
    }
    this.#firstLoadSince.delete(key);
    if (loading !== undefined) connection.loads?.watch({ key, ...loading });
    if (vmodel !== undefined && isLoaded(vmodel)) this.#loadedInEpoch.set(key, connection.epoch);

    const wrote = await this.#options.statusWriter.write(
      source.type,
      object as KubernetesObject & { status?: unknown },
      source.statusObject(object, next, now),
    );
    if (look.warning !== undefined) {
      log.warn({ warning: look.warning.message }, look.warning.reason);
      this.#record(object, "Warning", look.warning.reason, look.warning.message);
    }
    if (wrote) {
      log.debug({ status: next }, `${source.kind} Status updated`);
      const change = stateChange(previous, next, this.#failedSinceLoaded.has(key));
      if (change !== undefined) this.#record(object, change.type, change.reason, change.message);
    }
    if (next.lastFailureInfo !== undefined || failure !== undefined) this.#failedSinceLoaded.add(key);
    else if (next.activeModelState === "Loaded") this.#failedSinceLoaded.delete(key);
    if (failure !== undefined) {
      this.#record(object, "Warning", "ModelMeshCallFailed", failure.summary);
      throw failure.error;
    }
    if (look.askAgain === true) {
      const asked = this.#askedAgain.get(key) ?? 0;
      this.#askedAgain.set(key, asked + 1);
      log.debug({ failure: next.lastFailureInfo, asked }, "ModelMesh does not agree yet; asking again");
      return { requeueAfter: Math.min(ASK_AGAIN_MAX_MS, ASK_AGAIN_FIRST_MS * 2 ** asked) };
    }
    this.#askedAgain.delete(key);
    // Without the registry no event tells that a transition ended.
    const transitioning = next.transitionStatus === "InProgress";
    if (transitioning && !connection.watchingRegistry) return { requeueAfter: NO_REGISTRY_RECHECK_MS };
    return undefined;
  }

  /**
   * The model was loaded before the mesh last came back and has not been seen loaded since: the mesh may have
   * dropped it, so it is asked to load (a loading or loaded model answers as before).
   */
  #loadedBefore(key: string, connection: MeshConnection): boolean {
    const epoch = this.#loadedInEpoch.get(key);
    return epoch !== undefined && epoch < connection.epoch;
  }

  #record(object: KubernetesObject, type: EventType, reason: string, message: string): void {
    try {
      this.#options.ctx.events.record(object, type, reason, message);
    } catch {
      // Events are best effort; the status carries the truth.
    }
  }
}
