/**
 * Wires the model controller: caches of Predictors, ModelMesh InferenceServices and runtime Deployments, the
 * per-namespace ModelMesh connections, and the event sources that requeue exactly the models they affect.
 */
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import { DEPLOYMENTS } from "../../apis/resource-types.js";
import { LABELS } from "../../builders/constants.js";
import { predictorTypeLabel, runtimeSupportsPredictor } from "../../builders/model-type-labels.js";
import { semanticEqual } from "../../controller-runtime/apply.js";
import { controllerFor } from "../../controller-runtime/builder.js";
import { Controller } from "../../controller-runtime/controller.js";
import { StatusWriter } from "../../controller-runtime/status-writer.js";
import { byNamespace, NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import { scopedInformer } from "../caches/scoped-informer.js";
import type { ControllerContext } from "../context/context.js";
import { CONTROLLER_NAMES } from "../names.js";
import { MeshConnections, type MeshEvent } from "./mesh-connections.js";
import { ModelReconciler, type SourceEntry } from "./reconciler.js";
import {
  MODEL_LABEL_INDEX,
  type RuntimeFacts,
  requestedLabelIndexValues,
  runtimeFacts,
  sameFacts,
} from "./runtime-deployments.js";
import {
  INFERENCE_SERVICE_MODEL_SOURCE,
  type ModelSource,
  modelKey,
  PREDICTOR_MODEL_SOURCE,
} from "./sources.js";

export { VMODEL_FINALIZER } from "./reconciler.js";
export { modelKey, parseModelKey } from "./sources.js";

const WORKERS = 16;

/** The type label a model asks for, when its spec is usable. */
function requestedType(source: ModelSource, object: KubernetesObject): string | undefined {
  const view = source.view(object);
  return view.managed && view.spec.ok ? predictorTypeLabel(view.spec.value) : undefined;
}

/**
 * Whether an update changed what a reconcile reads: the spec (its generation; status is a subresource, so our own
 * writes leave it alone), labels, annotations or the deletion mark. Cheaper than comparing whole objects, which
 * thousands of status updates would otherwise cost.
 */
function changedBeyondStatus(before: KubernetesObject, after: KubernetesObject): boolean {
  const a = before.metadata ?? {};
  const b = after.metadata ?? {};
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !semanticEqual(a.labels ?? {}, b.labels ?? {}) ||
    !semanticEqual(a.annotations ?? {}, b.annotations ?? {})
  );
}

/** The model controller; it opens its ModelMesh connections only while it reconciles (as leader). */
export class ModelController extends Controller {
  constructor(
    options: ConstructorParameters<typeof Controller>[0],
    private readonly connections: MeshConnections,
  ) {
    super(options);
  }

  override start(): void {
    this.connections.start();
    super.start();
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.connections.stop();
  }
}

export function setupModelController(ctx: ControllerContext): ModelController {
  const sources = new Map<string, SourceEntry>();
  const kinds: ModelSource[] = [PREDICTOR_MODEL_SOURCE];
  if (ctx.features.inferenceServices) kinds.push(INFERENCE_SERVICE_MODEL_SOURCE);
  for (const source of kinds) {
    const informer = scopedInformer<KubernetesObject>(ctx, source.type, {
      indexers: {
        [NAMESPACE_INDEX]: byNamespace,
        [MODEL_LABEL_INDEX]: (object) =>
          requestedLabelIndexValues(object.metadata?.namespace ?? "", requestedType(source, object)),
      },
    });
    sources.set(source.id, { source, informer });
  }
  const deployments = scopedInformer<V1Deployment>(ctx, DEPLOYMENTS, {
    // The same cache the runtime controller reads its Deployments from.
    labelSelector: `${LABELS.managedBy}=${LABELS.controllerName}`,
    indexers: { [NAMESPACE_INDEX]: byNamespace },
  });

  let controller: ModelController | undefined;
  const enqueue = (key: string) => controller?.enqueue(key);
  const connections = new MeshConnections(ctx);
  const statusWriter = new StatusWriter(ctx.manager.client);
  for (const { source, informer } of sources.values()) statusWriter.track(source.type, informer);
  const reconciler = new ModelReconciler({ ctx, sources, connections, deployments, enqueue, statusWriter });
  const facts = (deployment: V1Deployment) =>
    runtimeFacts(deployment, ctx.config.current().inferenceServiceName);

  const builder = controllerFor(ctx.manager, CONTROLLER_NAMES.model).reconciler(reconciler).workers(WORKERS);
  for (const [id, { informer }] of sources) {
    const keyOf = (object: KubernetesObject) =>
      modelKey(id, object.metadata?.namespace ?? "", object.metadata?.name ?? "");
    // A model's status alone changing (mostly our own writes) is no reason to look again.
    builder.for(informer, (object) => [keyOf(object)], {
      initialPriority: "high",
      onUpdate: "new",
      updateMatters: changedBeyondStatus,
      requeueOnRestart: false,
    });
  }
  // A runtime appearing, going, changing its labels or its readiness requeues the models it can hold.
  builder
    .watches(
      deployments,
      (deployment) => modelsOnRuntime(sources, deployment.metadata?.namespace ?? "", facts(deployment)),
      {
        initialPriority: "high",
        onUpdate: "old-then-new",
        updateMatters: (before, after) => !sameFacts(facts(before), facts(after)),
        requeueOnRestart: false,
      },
    )
    // The end of a load goes before a burst of new models: it costs one cheap reconcile and a user waits for it.
    // A namespace's mesh going or coming back goes first too: its statuses are wrong until looked at, while one
    // that still says Loading after its load ended is only a step behind (decision 0202).
    .watchesChanges(
      connections.events,
      (event) => meshEventKeys(event, sources),
      (event) =>
        (event.kind === "load-ended" && event.ended) || event.kind === "namespace" ? "urgent" : "high",
    );
  controller = builder.build((options) => new ModelController(options, connections));
  return controller;
}

/** The models of a namespace that a runtime with these facts can hold. */
function modelsOnRuntime(
  sources: ReadonlyMap<string, SourceEntry>,
  namespace: string,
  facts: RuntimeFacts | undefined,
): string[] {
  if (facts === undefined) return [];
  const keys: string[] = [];
  for (const [id, { source, informer }] of sources) {
    const seen = new Set<string>();
    for (const label of facts.labels) {
      for (const object of informer.store.byIndex(MODEL_LABEL_INDEX, `${namespace}/${label}`)) {
        const name = object.metadata?.name ?? "";
        if (seen.has(name)) continue;
        seen.add(name);
        const typeLabel = requestedType(source, object);
        if (typeLabel !== undefined && runtimeSupportsPredictor(facts.labels, typeLabel))
          keys.push(modelKey(id, namespace, name));
      }
    }
  }
  return keys;
}

/** The models a mesh event concerns: one model, or every model of a namespace. */
function meshEventKeys(event: MeshEvent, sources: ReadonlyMap<string, SourceEntry>): string[] {
  if (event.kind === "load-ended") return [event.key];
  if (event.kind === "model") return [modelKey(event.key.source, event.key.namespace, event.key.name)];
  const keys: string[] = [];
  for (const [id, { informer }] of sources) {
    for (const object of informer.store.byIndex(NAMESPACE_INDEX, event.namespace))
      keys.push(modelKey(id, event.namespace, object.metadata?.name ?? ""));
  }
  return keys;
}
