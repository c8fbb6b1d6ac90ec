/**
 * The one rendering policy for a runtime in a namespace, used by the serving-runtime reconciler and by `render`:
 * whether it gets a Deployment at all, whether its spec is valid, how many replicas it asks for, what happens to
 * its HPA, then the Deployment itself. Pure: the caller reads the facts and performs the writes (upstream's
 * `controllers/servingruntime_controller.go Reconcile` with `determineReplicasAndRequeueDuration` and
 * `controllers/autoscaler/autoscaler_reconciler.go`).
 */
import type { V1Deployment, V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { AUTOSCALER_CLASS_EXTERNAL, AUTOSCALER_CLASS_HPA } from "../apis/serving/annotations.js";
import type { ServingConfig } from "../config/serving-config.js";
import type { Result } from "../lib/result.js";
import { buildRuntimeDeployment, type RuntimeInput } from "./deployment.js";
import { type EffectiveRuntime, isMultiModel } from "./effective-runtimes.js";
import { autoscalerClass, buildRuntimeHpa, hpaSettings } from "./hpa.js";
import { type ModelDemand, runtimeLabelSet, runtimeServes } from "./model-type-labels.js";
import { decideReplicas, type NoModelsSince, type ReplicaDecision, scaledUpReplicas } from "./replicas.js";
import { type RuntimeUnderValidation, validateRuntimeSpec } from "./runtime-validator.js";

/** What the replicas decision needs to know about the runtime's models (scale-to-zero). */
export interface RuntimeUsage {
  /** The distinct demands of the namespace's models; the runtime is in use when it serves one. */
  readonly demands: readonly ModelDemand[];
  /** When the runtime was last seen without models (see `NoModelsSince`). */
  readonly noModelsSince: NoModelsSince;
  readonly nowMs: number;
}

/** What the policy decides from, besides the runtime and the config. */
export interface PlanFacts {
  /** The runtime's namespace is served by this controller. */
  readonly served: boolean;
  /** Undefined: no scale-to-zero decision (`render` sees no models), the runtime counts as scaled up. */
  readonly usage: RuntimeUsage | undefined;
  /** The live Deployment's `spec.replicas`; undefined when there is none. */
  readonly liveReplicas: number | undefined;
}

export type HpaPlan =
  | { readonly action: "apply"; readonly object: V2HorizontalPodAutoscaler }
  /** The runtime's HPA, if any, goes (class `none`, or class `hpa` scaled to zero). */
  | { readonly action: "delete" }
  /** Class `external`: replicas and autoscaling belong to someone else. */
  | { readonly action: "leave" };

export interface PresentRuntime {
  readonly kind: "present";
  readonly input: RuntimeInput;
  /** Undefined: the Deployment leaves `spec.replicas` to others (an HPA that runs it, class `external`). */
  readonly replicas: number | undefined;
  readonly hpa: HpaPlan;
  /** The scale-to-zero decision (memory to keep, when to look again); undefined for `external` and `render`. */
  readonly decision: ReplicaDecision | undefined;
  /** The demands this runtime serves (their PVCs may be mounted). */
  readonly served: readonly ModelDemand[];
}

export type RuntimePlan =
  | { readonly kind: "absent"; readonly why: "not-multi-model" | "disabled-or-not-served" }
  /** Existing objects are left alone; `message` is upstream's `Invalid runtime Spec: <check>`. */
  | { readonly kind: "invalid"; readonly message: string }
  | PresentRuntime;

/** The runtime as the builders take it, in the namespace its Deployment goes to. */
export function runtimeInput(runtime: EffectiveRuntime, namespace: string): RuntimeInput {
  const { object } = runtime;
  return {
    name: object.metadata?.name ?? "",
    namespace,
    kind: runtime.kind,
    uid: object.metadata?.uid ?? "",
    spec: object.spec ?? { containers: [] },
    metadata: { annotations: object.metadata?.annotations, labels: object.metadata?.labels },
  };
}

/** Validation comes before the disabled check, as upstream's: a disabled invalid runtime is reported too. */
export function planRuntime(
  runtime: EffectiveRuntime,
  namespace: string,
  config: ServingConfig,
  facts: PlanFacts,
): RuntimePlan {
  if (!isMultiModel(runtime.object)) return { kind: "absent", why: "not-multi-model" };
  const check = validateRuntimeSpec(runtime.object as RuntimeUnderValidation, config.builtInServerTypes);
  if (!check.ok) return { kind: "invalid", message: `Invalid runtime Spec: ${check.error}` };
  if (runtime.object.spec?.disabled === true || !facts.served)
    return { kind: "absent", why: "disabled-or-not-served" };
  const input = runtimeInput(runtime, namespace);
  const labels = runtimeLabelSet(input.name, input.spec, config.restProxy.enabled);
  const served = (facts.usage?.demands ?? []).filter((demand) => runtimeServes(labels, demand));
  const scaler = autoscalerClass(input.metadata?.annotations);
  if (scaler === AUTOSCALER_CLASS_EXTERNAL) {
    return {
      kind: "present",
      input,
      replicas: undefined,
      hpa: { action: "leave" },
      decision: undefined,
      served,
    };
  }
  const { usage } = facts;
  const decision =
    usage === undefined
      ? undefined
      : decideReplicas({
          spec: input.spec,
          config,
          inUse: served.length > 0,
          noModelsSince: usage.noModelsSince,
          nowMs: usage.nowMs,
        });
  const scaledUp = decision === undefined || decision.replicas > 0;
  if (scaler === AUTOSCALER_CLASS_HPA && scaledUp) {
    // The HPA owns the count once the Deployment runs; from zero (or new) it starts at minReplicas.
    const fromZero = facts.liveReplicas === undefined || facts.liveReplicas === 0;
    return {
      kind: "present",
      input,
      replicas: fromZero ? hpaSettings(input.metadata?.annotations).minReplicas : undefined,
      hpa: { action: "apply", object: buildRuntimeHpa(input, config) },
      decision,
      served,
    };
  }
  const replicas = decision?.replicas ?? scaledUpReplicas(input.spec, config);
  return { kind: "present", input, replicas, hpa: { action: "delete" }, decision, served };
}

/** What the runtime's Deployment mounts and trusts, read by the caller (render: none of it). */
export interface RuntimeStorage {
  readonly pvcNames: readonly string[];
  readonly etcdSecretName: string;
  /** Whether the TLS Secret in the runtime's namespace has `ca.crt`. */
  readonly tlsSecretHasCaCrt: boolean;
}

export function runtimeDeployment(
  plan: PresentRuntime,
  config: ServingConfig,
  storage: RuntimeStorage,
): Result<V1Deployment> {
  return buildRuntimeDeployment(plan.input, { config, replicas: plan.replicas, ...storage });
}
