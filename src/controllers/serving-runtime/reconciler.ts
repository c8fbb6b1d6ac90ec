/**
 * Per runtime and served namespace (key `<namespace>/<runtimeName>`): the runtime Deployment, its replica count
 * (scale-to-zero, autoscaler classes) and its HPA. A runtime that is disabled, not multi-model or whose
 * namespace is not served has none; an invalid one is reported and its existing Deployment left untouched.
 */
import type { KubernetesObject, V1Deployment, V1Secret } from "@kubernetes/client-node";
import {
  DEPLOYMENTS,
  HORIZONTAL_POD_AUTOSCALERS,
  PERSISTENT_VOLUME_CLAIMS,
  SECRETS,
} from "../../apis/resource-types.js";
import { AUTOSCALER_CLASS_EXTERNAL, AUTOSCALER_CLASS_HPA } from "../../apis/serving/annotations.js";
import { OBJECTS } from "../../builders/constants.js";
import { buildRuntimeDeployment, deploymentName, type RuntimeInput } from "../../builders/deployment.js";
import { autoscalerClass, buildRuntimeHpa, hpaSettings } from "../../builders/hpa.js";
import { runtimeLabelSet } from "../../builders/model-type-labels.js";
import { decideReplicas, type NoModelsSince } from "../../builders/replicas.js";
import { validateRuntimeSpec } from "../../builders/runtime-validator.js";
import type { ServingConfig } from "../../config/serving-config.js";
import { applyIfChanged } from "../../controller-runtime/apply-change.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../../controller-runtime/controller.js";
import type { Informer } from "../../controller-runtime/informer.js";
import { KubeApiError } from "../../controller-runtime/kube-client.js";
import type { Logger } from "../../controller-runtime/logging.js";
import { NAMESPACE_INDEX, splitKey } from "../../controller-runtime/store.js";
import type { NamedSecrets } from "../caches/named-secrets.js";
import { type EffectiveRuntime, isMultiModel, type RuntimeCaches } from "../caches/runtime-caches.js";
import type { ControllerContext } from "../context/context.js";
import { type ModelCaches, runtimeServes } from "./models.js";
import { controllerOwnsReplicas, handOverReplicas } from "./replicas-handover.js";
import { pvcClaimsFromStorageSecret } from "./storage-pvcs.js";

export const REASONS = {
  invalidSpec: "InvalidRuntimeSpec",
  renderFailed: "DeploymentRenderFailed",
  deploymentRejected: "DeploymentRejected",
  deploymentCreated: "DeploymentCreated",
  deploymentDeleted: "DeploymentDeleted",
  scaledToZero: "ScaledToZero",
  scaledUp: "ScaledUp",
  hpaCreated: "HorizontalPodAutoscalerCreated",
  hpaDeleted: "HorizontalPodAutoscalerDeleted",
} as const;

export interface RuntimeReconcilerCaches {
  runtimes: RuntimeCaches;
  models: ModelCaches;
  /** Deployments the controller manages. */
  deployments: Informer<V1Deployment>;
  /** The storage Secrets (`storageSecretName`) of the served namespaces. */
  storageSecrets: NamedSecrets;
}

export class ServingRuntimeReconciler implements Reconciler {
  readonly #ctx: ControllerContext;
  readonly #caches: RuntimeReconcilerCaches;
  /** Scale-to-zero memory per key: when the runtime was first seen without models (see `NoModelsSince`). */
  readonly #noModelsSince = new Map<string, number | null>();
  /** HPAs (`<namespace>/<name>`) known not to exist, so that every reconcile does not send a DELETE. */
  readonly #hpaAbsent = new Set<string>();
  readonly #now: () => number;

  constructor(ctx: ControllerContext, caches: RuntimeReconcilerCaches, now: () => number = Date.now) {
    this.#ctx = ctx;
    this.#caches = caches;
    this.#now = now;
  }

  async reconcile(key: string, { log }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const { namespace, name } = splitKey(key);
    const config = this.#ctx.config.current();
    const runtime = this.#caches.runtimes.effective(namespace, name);
    if (runtime === undefined) {
      // Its Deployment and HPA go with it through their owner references.
      this.#noModelsSince.delete(key);
      log.debug("Runtime is not found");
      return undefined;
    }
    const target = deploymentName(config, name);
    if (!isMultiModel(runtime.object)) {
      await this.#removeDeployment(runtime, namespace, target, log, "not a multi-model runtime");
      return undefined;
    }
    const check = validateRuntimeSpec(runtime.object as never, config.builtInServerTypes);
    if (!check.ok) {
      const message = `Invalid runtime Spec: ${check.error}`;
      this.#ctx.events.record(
        runtime.object,
        "Warning",
        REASONS.invalidSpec,
        inNamespace(runtime, namespace, message),
      );
      throw new Error(message);
    }
    if (runtime.object.spec?.disabled === true || !this.#ctx.servedNamespaces.isServed(namespace)) {
      this.#noModelsSince.delete(key);
      await this.#removeDeployment(
        runtime,
        namespace,
        target,
        log,
        "Runtime is disabled, incompatible with modelmesh, or namespace is not modelmesh-enabled",
      );
      return undefined;
    }
    return this.#applyRuntime(key, runtime, namespace, config, log);
  }

  async #applyRuntime(
    key: string,
    runtime: EffectiveRuntime,
    namespace: string,
    config: ServingConfig,
    log: Logger,
  ): Promise<ReconcileResult | undefined> {
    const client = this.#ctx.manager.client;
    const { object } = runtime;
    const spec = object.spec ?? { containers: [] };
    const name = object.metadata?.name ?? "";
    const target = deploymentName(config, name);
    const input: RuntimeInput = {
      name,
      namespace,
      kind: runtime.kind,
      uid: object.metadata?.uid ?? "",
      spec,
      metadata: { annotations: object.metadata?.annotations, labels: object.metadata?.labels },
    };
    const live = this.#caches.deployments.store.getByName(target, namespace);
    const liveReplicas = live?.spec?.replicas;
    const runtimeLabels = runtimeLabelSet(name, spec, config.restProxy.enabled);
    const demands = this.#caches.models.demandsOf(namespace);
    const served = demands.filter((demand) => runtimeServes(runtimeLabels, demand));

    const scaler = autoscalerClass(object.metadata?.annotations);
    let replicas: number | undefined;
    let requeueAfterMs = 0;
    if (scaler === AUTOSCALER_CLASS_EXTERNAL) {
      replicas = undefined;
    } else {
      // After a restart a running Deployment gets a fresh grace period rather than being cut at once.
      const remembered: NoModelsSince = this.#noModelsSince.has(key)
        ? this.#noModelsSince.get(key)
        : liveReplicas !== undefined && liveReplicas > 0
          ? null
          : undefined;
      const decision = decideReplicas({
        spec,
        config,
        inUse: served.length > 0,
        noModelsSince: remembered,
        nowMs: this.#now(),
      });
      this.#noModelsSince.set(key, decision.noModelsSince);
      requeueAfterMs = decision.requeueAfterMs;
      logDecision(log, decision.reason, decision.requeueAfterMs, config.scaleToZero.gracePeriodSeconds);
      replicas = decision.replicas;
      if (scaler === AUTOSCALER_CLASS_HPA && decision.replicas > 0) {
        await this.#applyHpa(input, config, object);
        // The HPA owns the count once the Deployment runs; from zero (or new) it starts at minReplicas.
        replicas =
          liveReplicas === undefined || liveReplicas === 0
            ? hpaSettings(input.metadata?.annotations).minReplicas
            : undefined;
      } else {
        await this.#deleteHpa(namespace, target, object, log);
      }
    }

    const pvcNames = await this.#pvcNames(namespace, config, served, log);
    const tlsSecretHasCaCrt = await this.#tlsSecretHasCaCrt(namespace, config);
    const rendered = buildRuntimeDeployment(input, {
      config,
      replicas,
      pvcNames,
      etcdSecretName: this.#ctx.etcdSecretName(),
      tlsSecretHasCaCrt,
    });
    if (!rendered.ok) {
      this.#ctx.events.record(
        object,
        "Warning",
        REASONS.renderFailed,
        inNamespace(runtime, namespace, rendered.error),
      );
      throw new Error(`could not render the model mesh deployment: ${rendered.error}`);
    }
    await this.#removeRenamedDeployments(runtime, namespace, target, log);
    if (replicas === undefined && live !== undefined && controllerOwnsReplicas(live))
      await handOverReplicas(client, namespace, target);
    const applied = await applyIfChanged(client, DEPLOYMENTS, rendered.value, live, (change) =>
      log.info({ pods: replicas ?? "unmanaged", change }, "Applying model mesh deployment"),
    ).catch((error: unknown) => {
      // A Deployment built from what the runtime says (a container or port name Kubernetes does not accept) is
      // refused until the runtime changes: only its author can fix that, so the runtime says why (decision 0152).
      if (error instanceof KubeApiError && (error.statusCode === 400 || error.statusCode === 422)) {
        this.#ctx.events.record(
          object,
          "Warning",
          REASONS.deploymentRejected,
          inNamespace(runtime, namespace, `Deployment ${target} was refused: ${error.message}`),
        );
      }
      throw error;
    });
    if (applied.change === undefined) log.debug("the Deployment is as rendered; not applying");
    if (live === undefined) {
      this.#ctx.events.record(
        object,
        "Normal",
        REASONS.deploymentCreated,
        inNamespace(
          runtime,
          namespace,
          `Created Deployment ${target} with ${replicas ?? "unmanaged"} replicas`,
        ),
      );
    } else if (replicas === 0 && liveReplicas !== 0) {
      this.#ctx.events.record(
        object,
        "Normal",
        REASONS.scaledToZero,
        inNamespace(runtime, namespace, `Scaled Deployment ${target} to zero: no model uses this runtime`),
      );
    } else if (replicas !== undefined && replicas > 0 && liveReplicas === 0) {
      this.#ctx.events.record(
        object,
        "Normal",
        REASONS.scaledUp,
        inNamespace(runtime, namespace, `Scaled Deployment ${target} up to ${replicas} replicas`),
      );
    }
    return requeueAfterMs > 0 ? { requeueAfter: requeueAfterMs } : undefined;
  }

  async #applyHpa(input: RuntimeInput, config: ServingConfig, object: KubernetesObject): Promise<void> {
    const client = this.#ctx.manager.client;
    const hpa = buildRuntimeHpa(input, config);
    const name = hpa.metadata?.name ?? "";
    const live = await client.get(HORIZONTAL_POD_AUTOSCALERS, name, input.namespace);
    this.#hpaAbsent.delete(`${input.namespace}/${name}`);
    const { change } = await applyIfChanged(client, HORIZONTAL_POD_AUTOSCALERS, hpa, live);
    if (change !== undefined && live === undefined) {
      this.#ctx.events.record(
        object,
        "Normal",
        REASONS.hpaCreated,
        `Created HorizontalPodAutoscaler ${input.namespace}/${name}`,
      );
    }
  }

  async #deleteHpa(namespace: string, name: string, object: KubernetesObject, log: Logger): Promise<void> {
    const hpaKey = `${namespace}/${name}`;
    if (this.#hpaAbsent.has(hpaKey)) return;
    // Look before deleting: a read, where a blind DELETE is a write per runtime on every start (and in a namespace
    // it does not serve, the controller writes nothing unless it finds its own object to remove).
    if ((await this.#ctx.manager.client.get(HORIZONTAL_POD_AUTOSCALERS, name, namespace)) === undefined) {
      this.#hpaAbsent.add(hpaKey);
      return;
    }
    const deleted = await this.#ctx.manager.client.delete(HORIZONTAL_POD_AUTOSCALERS, name, namespace);
    this.#hpaAbsent.add(hpaKey);
    if (deleted) {
      log.info({ hpa: name }, "deleted the runtime's HorizontalPodAutoscaler");
      this.#ctx.events.record(
        object,
        "Normal",
        REASONS.hpaDeleted,
        `Deleted HorizontalPodAutoscaler ${namespace}/${name}`,
      );
    }
  }

  async #removeDeployment(
    runtime: EffectiveRuntime,
    namespace: string,
    name: string,
    log: Logger,
    why: string,
  ): Promise<void> {
    const client = this.#ctx.manager.client;
    if (this.#caches.deployments.store.getByName(name, namespace) !== undefined) {
      log.info({ deployment: name }, `${why}: Deleting modelmesh deployment`);
      await client.delete(DEPLOYMENTS, name, namespace);
      this.#ctx.events.record(
        runtime.object,
        "Normal",
        REASONS.deploymentDeleted,
        inNamespace(runtime, namespace, `Deleted Deployment ${name}: ${why}`),
      );
    }
    await this.#deleteHpa(namespace, name, runtime.object, log);
  }

  /** After `inferenceServiceName` changed, the runtime's Deployment under the old name goes. */
  async #removeRenamedDeployments(
    runtime: EffectiveRuntime,
    namespace: string,
    target: string,
    log: Logger,
  ): Promise<void> {
    const uid = runtime.object.metadata?.uid;
    for (const deployment of this.#caches.deployments.store.byIndex(NAMESPACE_INDEX, namespace)) {
      const name = deployment.metadata?.name ?? "";
      const owned = deployment.metadata?.ownerReferences?.some(
        (owner) => owner.controller === true && owner.uid === uid,
      );
      if (name === target || !owned) continue;
      log.info({ deployment: name }, "deleting the runtime's Deployment of a former name");
      await this.#ctx.manager.client.delete(DEPLOYMENTS, name, namespace);
    }
  }

  async #pvcNames(
    namespace: string,
    config: ServingConfig,
    served: readonly { pvcClaim: string | undefined }[],
    log: Logger,
  ): Promise<string[]> {
    const secret = await this.#caches.storageSecrets.get(namespace, config.storageSecretName);
    const fromSecret = pvcClaimsFromStorageSecret(secret?.data);
    if (!fromSecret.ok) throw new Error(fromSecret.error);
    const claims = [...fromSecret.value];
    if (!config.allowAnyPVC) return claims;
    for (const claim of new Set(served.map((demand) => demand.pvcClaim))) {
      if (claim === undefined || claims.includes(claim)) continue;
      if ((await this.#ctx.manager.client.get(PERSISTENT_VOLUME_CLAIMS, claim, namespace)) !== undefined)
        claims.push(claim);
      else log.error({ pvc: claim }, "Could not find PVC in namespace");
    }
    return claims;
  }

  async #tlsSecretHasCaCrt(namespace: string, config: ServingConfig): Promise<boolean> {
    if (config.tls.secretName === "") return false;
    const secret = await this.#ctx.manager.client.get<V1Secret>(SECRETS, config.tls.secretName, namespace);
    return secret?.data?.[OBJECTS.tlsCaKey] !== undefined;
  }
}

/** A ClusterServingRuntime is one object for many namespaces: its messages say which one. */
function inNamespace(runtime: EffectiveRuntime, namespace: string, message: string): string {
  return runtime.object.metadata?.namespace === undefined ? `namespace ${namespace}: ${message}` : message;
}

function logDecision(log: Logger, reason: string, remainingMs: number, gracePeriodSeconds: number): void {
  if (reason === "grace-period-started")
    log.info(
      { gracePeriodSeconds },
      "Runtime no longer has any predictors, will scale to zero after grace period",
    );
  else if (reason === "within-grace-period")
    log.info(
      { gracePeriodSeconds, timeRemainingMs: remainingMs },
      "Runtime has no predictors, will scale to zero after grace period",
    );
  else if (reason === "scaled-to-zero") log.debug("Scaling runtime to zero");
}
