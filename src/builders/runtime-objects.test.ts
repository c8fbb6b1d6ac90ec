import { describe, expect, it } from "vitest";
import { loadBuiltInRuntime } from "../../test/support/runtimes/load.js";
import { KIND_CLUSTER_SERVING_RUNTIME } from "../apis/serving/group.js";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import { defaultServingConfig, type ServingConfig } from "../config/serving-config.js";
import type { EffectiveRuntime } from "./effective-runtimes.js";
import { buildRuntimeHpa } from "./hpa.js";
import type { ModelDemand } from "./model-type-labels.js";
import { type PlanFacts, planRuntime, runtimeDeployment, runtimeInput } from "./runtime-objects.js";

const NAMESPACE = "team-a";
const SKLEARN: ModelDemand = { typeLabel: "mt:sklearn", pvcClaim: "models-pvc" };
const OTHER: ModelDemand = { typeLabel: "mt:tensorflow", pvcClaim: undefined };

function mlserver(
  spec: Partial<ServingRuntimeSpec> = {},
  annotations?: Record<string, string>,
): EffectiveRuntime {
  const runtime = loadBuiltInRuntime("mlserver-1.x");
  return {
    kind: KIND_CLUSTER_SERVING_RUNTIME,
    object: {
      ...runtime,
      metadata: { ...runtime.metadata, uid: "uid-1", ...(annotations && { annotations }) },
      spec: { ...runtime.spec, ...spec },
    },
  };
}

/** The built-in containers plus one named `mm`, which is reserved. */
const RESERVED = {
  containers: [...(loadBuiltInRuntime("mlserver-1.x").spec.containers ?? []), { name: "mm" }],
};

const HPA = { "serving.kserve.io/autoscalerClass": "hpa", "serving.kserve.io/min-scale": "2" };

function facts(overrides: Partial<PlanFacts> = {}, demands: ModelDemand[] = [SKLEARN]): PlanFacts {
  return {
    served: true,
    usage: { demands, noModelsSince: undefined, nowMs: 1_000_000 },
    liveReplicas: undefined,
    ...overrides,
  };
}

function present(runtime: EffectiveRuntime, f: PlanFacts, config: ServingConfig = defaultServingConfig()) {
  const plan = planRuntime(runtime, NAMESPACE, config, f);
  if (plan.kind !== "present") throw new Error(`expected a present runtime, got ${plan.kind}`);
  return plan;
}

describe("planRuntime: whether the runtime gets objects", () => {
  it("leaves a runtime that is not multi-model alone, before validating it", () => {
    const runtime = mlserver({ multiModel: false, ...RESERVED });
    expect(planRuntime(runtime, NAMESPACE, defaultServingConfig(), facts())).toEqual({
      kind: "absent",
      why: "not-multi-model",
    });
  });

  it("reports an invalid runtime with upstream's message", () => {
    const runtime = mlserver(RESERVED);
    expect(planRuntime(runtime, NAMESPACE, defaultServingConfig(), facts())).toEqual({
      kind: "invalid",
      message:
        "Invalid runtime Spec: container spec for mm is invalid: container name mm is reserved for internal use",
    });
  });

  it("validates a disabled runtime before it is found disabled", () => {
    const invalid = mlserver({ disabled: true, ...RESERVED });
    expect(planRuntime(invalid, NAMESPACE, defaultServingConfig(), facts()).kind).toBe("invalid");
    expect(planRuntime(mlserver({ disabled: true }), NAMESPACE, defaultServingConfig(), facts())).toEqual({
      kind: "absent",
      why: "disabled-or-not-served",
    });
  });

  it("gives a runtime of a namespace that is not served nothing", () => {
    expect(planRuntime(mlserver(), NAMESPACE, defaultServingConfig(), facts({ served: false }))).toEqual({
      kind: "absent",
      why: "disabled-or-not-served",
    });
  });
});

describe("planRuntime: replicas and the HPA by autoscaler class", () => {
  it("external: no replicas, the HPA left alone, no scale-to-zero decision", () => {
    const plan = present(mlserver({}, { "serving.kserve.io/autoscalerClass": "external" }), facts());
    expect(plan).toMatchObject({ replicas: undefined, hpa: { action: "leave" }, decision: undefined });
  });

  it("hpa, in use, no Deployment yet or at zero: starts at minReplicas with the HPA", () => {
    const runtime = mlserver({}, HPA);
    for (const liveReplicas of [undefined, 0]) {
      const plan = present(runtime, facts({ liveReplicas }));
      expect(plan.replicas).toBe(2);
      expect(plan.hpa).toEqual({
        action: "apply",
        object: buildRuntimeHpa(runtimeInput(runtime, NAMESPACE), defaultServingConfig()),
      });
    }
  });

  it("hpa, in use, running: the HPA keeps the count", () => {
    const plan = present(mlserver({}, HPA), facts({ liveReplicas: 3 }));
    expect(plan.replicas).toBeUndefined();
    expect(plan.hpa.action).toBe("apply");
  });

  it("hpa past its grace period: scaled to zero and the HPA deleted", () => {
    const plan = present(mlserver({}, HPA), facts({}, []));
    expect(plan).toMatchObject({ replicas: 0, hpa: { action: "delete" } });
    expect(plan.decision?.reason).toBe("scaled-to-zero");
  });

  it("none: the decided count, any HPA deleted", () => {
    const inUse = present(mlserver(), facts());
    expect(inUse).toMatchObject({ replicas: 2, hpa: { action: "delete" } });
    expect(inUse.decision).toMatchObject({ reason: "in-use", noModelsSince: null });
    const graced = present(mlserver(), {
      ...facts({}, [OTHER]),
      usage: { demands: [OTHER], noModelsSince: null, nowMs: 1_000_000 },
    });
    expect(graced.replicas).toBe(2);
    expect(graced.decision).toMatchObject({ reason: "grace-period-started", requeueAfterMs: 60_000 });
  });

  it("keeps the demands the runtime serves, for their PVCs", () => {
    expect(present(mlserver(), facts({}, [SKLEARN, OTHER])).served).toEqual([SKLEARN]);
  });

  it("without usage (render) counts the runtime as scaled up, the HPA included even at podsPerRuntime 0", () => {
    const noModels = facts({ usage: undefined });
    expect(present(mlserver(), noModels)).toMatchObject({ replicas: 2, decision: undefined });
    const zeroPods = { ...defaultServingConfig(), podsPerRuntime: 0 };
    expect(present(mlserver(), noModels, zeroPods).replicas).toBe(0);
    expect(present(mlserver({}, HPA), noModels, zeroPods)).toMatchObject({
      replicas: 2,
      hpa: { action: "apply" },
    });
  });
});

describe("runtimeDeployment", () => {
  const storage = { pvcNames: [], etcdSecretName: "model-serving-etcd", tlsSecretHasCaCrt: false };

  it("renders the plan's replicas into the Deployment", () => {
    const plan = present(mlserver(), facts());
    const deployment = runtimeDeployment(plan, defaultServingConfig(), storage);
    expect(deployment.ok && deployment.value.spec?.replicas).toBe(2);
    expect(deployment.ok && deployment.value.metadata?.name).toBe("modelmesh-serving-mlserver-1.x");
  });

  it("says why a Deployment cannot be built from a valid runtime", () => {
    const base = mlserver();
    const [server, ...rest] = base.object.spec?.containers ?? [];
    const lots = { ...server, name: "mlserver", resources: { limits: { memory: "lots" } } };
    const plan = present(mlserver({ containers: [lots, ...rest] }), facts());
    const deployment = runtimeDeployment(plan, defaultServingConfig(), storage);
    expect(deployment.ok ? "built" : deployment.error).toMatch(
      /^container mlserver: cannot parse resources.limits.memory "lots"/,
    );
  });
});
