/**
 * Per runtime and served namespace (key `<namespace>/<runtimeName>`): the runtime Deployment, its replica count
 * (scale-to-zero, autoscaler classes) and its HPA. A runtime that is disabled, not multi-model or whose
 * namespace is not served has none; an invalid one is reported and its existing Deployment left untouched.
 */

import type {
  KubernetesObject,
  V1Deployment,
  V1Secret,
  V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import {
  DEPLOYMENTS,
  HORIZONTAL_POD_AUTOSCALERS,
  PERSISTENT_VOLUME_CLAIMS,
  SECRETS,
} from "../../apis/resource-types.js";
import { OBJECTS } from "../../builders/constants.js";
import { deploymentName } from "../../builders/deployment.js";
import type { EffectiveRuntime } from "../../builders/effective-runtimes.js";
import type { ModelDemand } from "../../builders/model-type-labels.js";
import type { NoModelsSince } from "../../builders/replicas.js";
import { type PresentRuntime, planRuntime, runtimeDeployment } from "../../builders/runtime-objects.js";
import type { ServingConfig } from "../../config/serving-config.js";
import { applyIfChanged } from "../../controller-runtime/apply-change.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../../controller-runtime/controller.js";
import type { Informer } from "../../controller-runtime/informer.js";
import { KubeApiError } from "../../controller-runtime/kube-client.js";
import type { Logger } from "../../controller-runtime/logging.js";
import { NAMESPACE_INDEX, splitKey } from "../../controller-runtime/store.js";
import type { NamedSecrets } from "../caches/named-secrets.js";
import type { RuntimeCaches } from "../caches/runtime-caches.js";
import type { ControllerContext } from "../context/context.js";
import { deploymentEvent, inNamespace, REASONS } from "./events.js";
import type { ModelCaches } from "./models.js";
import { controllerOwnsReplicas, handOverReplicas } from "./replicas-handover.js";
import { pvcClaimsFromStorageSecret } from "./storage-pvcs.js";

/** The log line and Event text of a runtime that has no Deployment (upstream's wording for the second). */
const ABSENT_BECAUSE = {
  "not-multi-model": "not a multi-model runtime",
  "disabled-or-not-served":
    "Runtime is disabled, incompatible with modelmesh, or namespace is not modelmesh-enabled",
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
    const live = this.#caches.deployments.store.getByName(target, namespace);
    const plan = planRuntime(runtime, namespace, config, {
      served: this.#ctx.servedNamespaces.isServed(namespace),
      usage: {
        demands: this.#caches.models.demandsOf(namespace),
        noModelsSince: rememberedNoModelsSince(this.#noModelsSince, key, live?.spec?.replicas),
        nowMs: this.#now(),
      },
      liveReplicas: live?.spec?.replicas,
    });
    switch (plan.kind) {
      case "absent":
        if (plan.why === "disabled-or-not-served") this.#noModelsSince.delete(key);
        await this.#removeDeployment(runtime, namespace, target, log, ABSENT_BECAUSE[plan.why]);
        return undefined;
      case "invalid":
        this.#ctx.events.record(
          runtime.object,
          "Warning",
          REASONS.invalidSpec,
          inNamespace(runtime, namespace, plan.message),
        );
        throw new Error(plan.message);
      case "present":
        return this.#applyRuntime(key, runtime, plan, live, config, log);
    }
  }

  async #applyRuntime(
    key: string,
    runtime: EffectiveRuntime,
    plan: PresentRuntime,
    live: V1Deployment | undefined,
    config: ServingConfig,
    log: Logger,
  ): Promise<ReconcileResult | undefined> {
    const { namespace } = plan.input;
    const { decision } = plan;
    if (decision !== undefined) {
      this.#noModelsSince.set(key, decision.noModelsSince);
      logDecision(log, decision.reason, decision.requeueAfterMs, config.scaleToZero.gracePeriodSeconds);
    }
    // The HPA is written before the reads below, so a storage Secret that cannot be read does not hold it back.
    await this.#applyHpaPlan(plan, config, runtime.object, log);
    const rendered = runtimeDeployment(plan, config, {
      pvcNames: await this.#pvcNames(namespace, config, plan.served, log),
      etcdSecretName: this.#ctx.etcdSecretName(),
      tlsSecretHasCaCrt: await this.#tlsSecretHasCaCrt(namespace, config),
    });
    if (!rendered.ok) {
      this.#ctx.events.record(
        runtime.object,
        "Warning",
        REASONS.renderFailed,
        inNamespace(runtime, namespace, rendered.error),
      );
      throw new Error(`could not render the model mesh deployment: ${rendered.error}`);
    }
    await this.#applyDeployment(runtime, plan, rendered.value, live, log);
    const requeueAfterMs = decision?.requeueAfterMs ?? 0;
    return requeueAfterMs > 0 ? { requeueAfter: requeueAfterMs } : undefined;
  }

  async #applyHpaPlan(
    plan: PresentRuntime,
    config: ServingConfig,
    owner: KubernetesObject,
    log: Logger,
  ): Promise<void> {
    const { namespace, name } = plan.input;
    if (plan.hpa.action === "apply") await this.#applyHpa(plan.hpa.object, namespace, owner);
    else if (plan.hpa.action === "delete")
      await this.#deleteHpa(namespace, deploymentName(config, name), owner, log);
  }

  /** Cleans up a former name, hands `spec.replicas` over when letting go of it, applies, and says what changed. */
  async #applyDeployment(
    runtime: EffectiveRuntime,
    plan: PresentRuntime,
    deployment: V1Deployment,
    live: V1Deployment | undefined,
    log: Logger,
  ): Promise<void> {
    const client = this.#ctx.manager.client;
    const { namespace } = plan.input;
    const target = deployment.metadata?.name ?? "";
    const { replicas } = plan;
    await this.#removeRenamedDeployments(runtime, namespace, target, log);
    if (replicas === undefined && live !== undefined && controllerOwnsReplicas(live))
      await handOverReplicas(client, namespace, target);
    const applied = await applyIfChanged(client, DEPLOYMENTS, deployment, live, (change) =>
      log.info({ pods: replicas ?? "unmanaged", change }, "Applying model mesh deployment"),
    ).catch((error: unknown) => {
      // A Deployment built from what the runtime says (a container or port name Kubernetes does not accept) is
      // refused until the runtime changes: only its author can fix that, so the runtime says why (decision 0152).
      if (error instanceof KubeApiError && (error.statusCode === 400 || error.statusCode === 422)) {
        this.#ctx.events.record(
          runtime.object,
          "Warning",
          REASONS.deploymentRejected,
          inNamespace(runtime, namespace, `Deployment ${target} was refused: ${error.message}`),
        );
      }
      throw error;
    });
    if (applied.change === undefined) log.debug("the Deployment is as rendered; not applying");
    const event = deploymentEvent(target, live, replicas);
    if (event !== undefined)
      this.#ctx.events.record(
        runtime.object,
        "Normal",
        event.reason,
        inNamespace(runtime, namespace, event.message),
      );
  }

  async #applyHpa(hpa: V2HorizontalPodAutoscaler, namespace: string, owner: KubernetesObject): Promise<void> {
    const client = this.#ctx.manager.client;
    const name = hpa.metadata?.name ?? "";
    const live = await client.get(HORIZONTAL_POD_AUTOSCALERS, name, namespace);
    this.#hpaAbsent.delete(`${namespace}/${name}`);
    const { change } = await applyIfChanged(client, HORIZONTAL_POD_AUTOSCALERS, hpa, live);
    if (change !== undefined && live === undefined) {
      this.#ctx.events.record(
        owner,
        "Normal",
        REASONS.hpaCreated,
        `Created HorizontalPodAutoscaler ${namespace}/${name}`,
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
    served: readonly ModelDemand[],
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

/**
 * The scale-to-zero memory of `key` for this decision: what this process remembers, else (after a restart) a
 * fresh grace period for a Deployment that runs rather than cutting it at once.
 */
export function rememberedNoModelsSince(
  memory: ReadonlyMap<string, number | null>,
  key: string,
  liveReplicas: number | undefined,
): NoModelsSince {
  if (memory.has(key)) return memory.get(key);
  return liveReplicas !== undefined && liveReplicas > 0 ? null : undefined;
}
