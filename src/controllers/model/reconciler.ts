/**
 * The model reconciler (reference §2.2.4, §2.2.6): registers each Predictor and ModelMesh InferenceService as a
 * vmodel in its namespace's ModelMesh and mirrors ModelMesh's answer into the status. It never polls: a model's
 * next look comes from a registry event, a runtime or EndpointSlice change, or its own resource changing.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import type { PredictorStatus } from "../../apis/serving/v1alpha1/predictor.js";
import type { VModelStatusInfo } from "../../mesh/gen/mmesh/model-mesh_pb.js";
import { concreteModelId, modelLocation } from "../../mesh/model-id.js";
import { isNoEndpoints, ModelMeshCallError } from "../../mesh/model-mesh-client.js";
import { predictorTypeLabel } from "../../modelmesh/model-type-labels.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../../runtime/controller.js";
import type { Informer } from "../../runtime/informer.js";
import { isStatus } from "../../runtime/kube-client.js";
import type { Logger } from "../../runtime/logging.js";
import type { StatusWriter } from "../../runtime/status-writer.js";
import type { ControllerContext, EventType } from "../context.js";
import type { MeshConnection, MeshConnections } from "./mesh-connections.js";
import { runtimeCapacity } from "./runtimes.js";
import { type ModelSource, modelKey, parseModelKey, specProblem } from "./sources.js";
import { stateChange } from "./state-events.js";
import type { RuntimeCapacity } from "./status.js";
import {
  inferenceEndpoints,
  shouldLoadNow,
  statusAfterSetVModel,
  statusForInvalidSpec,
  statusForNameCollision,
  statusWaitingForMesh,
  withRuntimeCapacity,
} from "./status.js";

/** Earlier versions put this finalizer on every model; it is no longer added, only released (decision 0140). */
export const VMODEL_FINALIZER = "modelmesh.serving.kserve.io/vmodel";

/**
 * Without the etcd registry no event tells that a load finished; only then is a loading model looked at again
 * after this delay.
 */
export const NO_REGISTRY_RECHECK_MS = 5_000;

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

export class ModelReconciler implements Reconciler {
  readonly #options: ModelReconcilerOptions;
  readonly #now: () => Date;
  /** Models whose first load began without its `Loading` status being written yet: key → when first seen. */
  readonly #firstLoadSince = new Map<string, number>();
  /** Models that reported a failure since they were last Loaded: their recovery gets its Event. */
  readonly #failedSinceLoaded = new Set<string>();

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
      if (isNoEndpoints(error)) return "unreachable";
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
    const { namespace, name } = nameOf(object);
    if (connection.client === undefined) {
      const problem = connection.problem ?? "no ModelMesh client";
      this.#record(object, "Warning", "ModelMeshConnectionFailed", problem);
      throw new Error(problem);
    }
    const client = connection.client;
    const view = source.view(object);
    const previous = view.status;
    const config = this.#options.ctx.config.current();
    const endpoints = inferenceEndpoints(config, namespace);
    const now = this.#now();

    let next: PredictorStatus;
    let failure: Error | undefined;
    let meshLags = false;
    const spec = view.spec.ok ? view.spec.spec : undefined;
    const modelId = spec === undefined ? "" : concreteModelId(name, source.id, spec);
    const problem = view.spec.ok ? spec && specProblem(spec) : view.spec.error;
    if (spec === undefined || problem !== undefined) {
      log.info({ problem }, `Invalid ${source.kind} specification`);
      let vmodel: VModelStatusInfo | undefined;
      try {
        vmodel = await client.getVModelStatus({ vModelId: name, owner: source.id });
      } catch (error) {
        if (!isNoEndpoints(error)) failure = new Error(`failed GetVModelStatus: ${(error as Error).message}`);
      }
      next = statusForInvalidSpec(previous, vmodel, problem ?? "", modelId, now, endpoints);
    } else {
      const typeLabel = predictorTypeLabel(spec);
      const location = modelLocation(spec);
      try {
        const vmodel = await client.setVModel({
          vModelId: name,
          owner: source.id,
          targetModelId: modelId,
          autoDeleteTargetModel: true,
          loadNow: shouldLoadNow(previous, false),
          modelInfo: { type: typeLabel, path: location.path, key: location.key },
        });
        log.debug({ modelId }, "SetVModel succeeded");
        next = statusAfterSetVModel(previous, vmodel, now, endpoints);
        const capacity = runtimeCapacity(
          this.#options.deployments,
          namespace,
          config.inferenceServiceName,
          typeLabel,
        );
        next = withRuntimeCapacity(next, capacity, typeLabel, modelId, previous.lastFailureInfo, now);
        meshLags = meshDisagrees(next, capacity);
      } catch (error) {
        if (isNoEndpoints(error)) {
          next = statusWaitingForMesh(previous, modelId, endpoints);
        } else if (error instanceof ModelMeshCallError && error.code === GrpcStatus.ALREADY_EXISTS) {
          log.info({ details: error.details }, "the name is taken by a resource of another kind");
          next = statusForNameCollision(previous, endpoints);
        } else {
          next = previous;
          failure = new Error(`failed to SetVModel for ${source.kind} ${name}: ${(error as Error).message}`);
        }
      }
    }

    if (failure === undefined && connection.watchingRegistry && isFirstLoad(previous, next)) {
      const since = this.#firstLoadSince.get(key) ?? now.getTime();
      const waited = now.getTime() - since;
      if (waited < FIRST_LOADING_STATUS_DELAY_MS) {
        // The registry event of the finished load usually comes first; this look writes `Loading` otherwise.
        this.#firstLoadSince.set(key, since);
        log.debug("first load started; its Loading status waits a moment");
        return { requeueAfter: FIRST_LOADING_STATUS_DELAY_MS - waited };
      }
    }
    this.#firstLoadSince.delete(key);

    const wrote = await this.#options.statusWriter.write(
      source.type,
      object as KubernetesObject & { status?: unknown },
      source.statusObject(object, next, now),
    );
    if (wrote) {
      log.debug({ status: next }, `${source.kind} Status updated`);
      const change = stateChange(previous, next, this.#failedSinceLoaded.has(key));
      if (change !== undefined) this.#record(object, change.type, change.reason, change.message);
    }
    if (next.lastFailureInfo !== undefined || failure !== undefined) this.#failedSinceLoaded.add(key);
    else if (next.activeModelState === "Loaded") this.#failedSinceLoaded.delete(key);
    if (failure !== undefined) {
      this.#record(object, "Warning", "ModelMeshCallFailed", failure.message);
      throw failure;
    }
    if (meshLags) {
      log.debug({ failure: next.lastFailureInfo }, "ModelMesh does not see the runtimes yet; asking again");
      return { requeue: true };
    }
    const settling = next.activeModelState === "Loading" || next.transitionStatus === "InProgress";
    if (settling && !connection.watchingRegistry) return { requeueAfter: NO_REGISTRY_RECHECK_MS };
    return undefined;
  }

  #record(object: KubernetesObject, type: EventType, reason: string, message: string): void {
    try {
      this.#options.ctx.events.record(object, type, reason, message);
    } catch {
      // Events are best effort; the status carries the truth.
    }
  }
}
