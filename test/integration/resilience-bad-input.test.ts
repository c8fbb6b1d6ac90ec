/**
 * Bad input through the API server and the controller's webhook (registered as the sandbox registers it):
 * FUZZ_N (default 1,000) generated ServingRuntimes, Predictors and ModelMesh InferenceServices, valid and not,
 * then generated `model-serving-config` documents. Zero controller crashes; every object ends with a clear
 * answer: a rejection with a message, a status the controller wrote (failures with a reason and a message),
 * a runtime Deployment or a Warning Event; every invalid configuration gets a Warning Event. Enough generated
 * runtimes are valid multi-model ones that at least MIN_RENDERED_RUNTIME_SHARE of them get their Deployment.
 * docs/reliability.md records a run at FUZZ_N=10000.
 */

import type { KubernetesObject } from "@kubernetes/client-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResourceType } from "../../src/apis/resource-types.js";
import {
  CONFIG_MAPS,
  CORE_EVENTS,
  DEPLOYMENTS,
  INFERENCE_SERVICES,
  PREDICTORS,
  SERVING_RUNTIMES,
} from "../../src/apis/resource-types.js";
import { parseUserConfig } from "../../src/config/parse-user-config.js";
import { KubeApiError } from "../../src/controller-runtime/kube-client.js";
import { eventually } from "../support/async/eventually.js";
import { crashLines } from "../support/controller/log.js";
import {
  inferenceService,
  predictor,
  servingRuntime,
  userConfigYaml,
} from "../support/resilience/arbitraries.js";
import { envCount, recordFigures } from "../support/resilience/figures.js";
import { forEachRetried } from "../support/resilience/load.js";
import { MeshCluster } from "../support/resilience/mesh-cluster.js";

const FUZZ_N = envCount("FUZZ_N", 1000);
const SEED = envCount("FUZZ_SEED", 20261125);
const CONFIGS = Math.max(10, Math.min(200, Math.floor(FUZZ_N / 50)));
const SETTLE_MS = Math.max(120_000, FUZZ_N * 60);
/**
 * Share of the generated runtimes that must end with a rendered Deployment: the generator aims at two fifths, and
 * below this floor the suite would no longer exercise the controller's Deployment rendering much.
 */
const MIN_RENDERED_RUNTIME_SHARE = 0.3;

type Outcome = { kind: string; name: string; object: KubernetesObject; rejected?: string };

interface Status {
  activeModelState?: string;
  lastFailureInfo?: { reason?: string; message?: string };
  modelStatus?: {
    states?: { activeModelState?: string };
    lastFailureInfo?: { reason?: string; message?: string };
  };
}
type WithStatus = KubernetesObject & { status?: Status; spec?: { multiModel?: unknown; disabled?: unknown } };
type CoreEvent = KubernetesObject & {
  reason?: string;
  message?: string;
  type?: string;
  involvedObject?: { kind?: string; name?: string };
};

const KINDS: Array<{
  type: ResourceType;
  share: number;
  make: (name: string, ns: string) => fc.Arbitrary<unknown>;
}> = [
  { type: SERVING_RUNTIMES, share: 0.3, make: servingRuntime },
  { type: PREDICTORS, share: 0.3, make: predictor },
  { type: INFERENCE_SERVICES, share: 0.4, make: inferenceService },
];

/** The answer a model's status gives: its state, and a failure with reason and message if any. */
function modelAnswer(
  kind: string,
  object: WithStatus,
): { state?: string; reason?: string; message?: string } {
  const status = object.status;
  if (kind === "Predictor") return { state: status?.activeModelState, ...status?.lastFailureInfo };
  return { state: status?.modelStatus?.states?.activeModelState, ...status?.modelStatus?.lastFailureInfo };
}

function clearAnswer(answer: { state?: string; reason?: string; message?: string }): boolean {
  if (answer.state === undefined || answer.state === "") return false;
  if (answer.reason === undefined) return answer.state !== "FailedToLoad";
  return answer.reason !== "" && (answer.message ?? "") !== "";
}

describe(`bad input: ${FUZZ_N} generated resources and ${CONFIGS} configurations`, () => {
  let cluster: MeshCluster;
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    cluster = await MeshCluster.start({ webhook: true });
    await cluster.startController();
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it(
    "every resource is rejected with a message, or answered by the controller",
    async () => {
      const started = Date.now();
      for (const [k, { type, share, make }] of KINDS.entries()) {
        const count = Math.round(FUZZ_N * share);
        const objects = fc.sample(make("x", cluster.namespace), { numRuns: count, seed: SEED + k });
        const prefix = `fz-${type.kind.toLowerCase().slice(0, 4)}`;
        const items = objects.map((object, i) => {
          const named = object as KubernetesObject;
          named.metadata = { ...named.metadata, name: `${prefix}-${i}`, namespace: cluster.namespace };
          return named;
        });
        await forEachRetried(items, 8, async (object) => {
          const outcome: Outcome = { kind: type.kind, name: object.metadata?.name ?? "", object };
          try {
            await cluster.client.create(type, object);
          } catch (error) {
            if (!(error instanceof KubeApiError) || error.statusCode >= 500) throw error;
            outcome.rejected = error.message;
          }
          outcomes.push(outcome);
        });
      }
      const appliedMs = Date.now() - started;
      for (const outcome of outcomes.filter((o) => o.rejected !== undefined)) {
        expect(outcome.rejected?.trim(), `${outcome.kind} ${outcome.name}`).not.toBe("");
      }

      // Accepted models: the controller writes a status with a state, and a failure has reason and message.
      const accepted = outcomes.filter((o) => o.rejected === undefined);
      const models = accepted.filter(
        (o) =>
          o.kind === "Predictor" ||
          (o.kind === "InferenceService" &&
            o.object.metadata?.annotations?.["serving.kserve.io/deploymentMode"] === "ModelMesh"),
      );
      const answers = new Map<string, { state?: string; reason?: string }>();
      await eventually(
        async () => {
          const unanswered: string[] = [];
          for (const type of [PREDICTORS, INFERENCE_SERVICES]) {
            const list = await cluster.client.list<WithStatus>(type, { namespace: cluster.namespace });
            const byName = new Map(list.items.map((i) => [i.metadata?.name, i]));
            for (const model of models.filter((m) => m.kind === type.kind)) {
              const live = byName.get(model.name);
              const answer = live === undefined ? {} : modelAnswer(type.kind, live);
              answers.set(`${type.kind}/${model.name}`, answer);
              if (!clearAnswer(answer))
                unanswered.push(`${model.kind}/${model.name} ${JSON.stringify(answer)}`);
            }
          }
          if (cluster.controllers.some((c) => c.crashed())) throw new Error("the controller crashed");
          lastUnanswered = unanswered;
          return unanswered.length === 0 ? true : undefined;
        },
        "a clear status on every accepted model",
        SETTLE_MS,
      ).catch((error: unknown) => {
        throw new Error(
          `${(error as Error).message}; e.g. ${lastUnanswered.slice(0, 5).join("; ")} (${lastUnanswered.length})`,
        );
      });

      // Accepted multi-model runtimes: a Deployment, or a Warning Event that says what is wrong.
      const runtimes = accepted.filter(
        (o) =>
          o.kind === "ServingRuntime" &&
          (o.object as WithStatus).spec?.multiModel === true &&
          (o.object as WithStatus).spec?.disabled !== true,
      );
      const runtimeAnswers = { deployment: 0, warning: 0, warningReasons: {} as Record<string, number> };
      await eventually(
        async () => {
          const deployments = await cluster.client.list(DEPLOYMENTS, { namespace: cluster.namespace });
          const names = new Set(deployments.items.map((d) => d.metadata?.name));
          const events = await cluster.client.list<CoreEvent>(CORE_EVENTS, { namespace: cluster.namespace });
          const warned = new Map(
            events.items
              .filter(
                (e) =>
                  e.type === "Warning" &&
                  e.involvedObject?.kind === "ServingRuntime" &&
                  (e.message ?? "") !== "",
              )
              .map((e) => [e.involvedObject?.name, e.reason ?? ""]),
          );
          runtimeAnswers.deployment = runtimes.filter((r) => names.has(`modelmesh-serving-${r.name}`)).length;
          const warnedOnly = runtimes.filter(
            (r) => !names.has(`modelmesh-serving-${r.name}`) && warned.has(r.name),
          );
          runtimeAnswers.warning = warnedOnly.length;
          runtimeAnswers.warningReasons = {};
          for (const r of warnedOnly) {
            const reason = warned.get(r.name) ?? "";
            runtimeAnswers.warningReasons[reason] = (runtimeAnswers.warningReasons[reason] ?? 0) + 1;
          }
          const silent = runtimes.filter(
            (r) => !names.has(`modelmesh-serving-${r.name}`) && !warned.has(r.name),
          );
          lastUnanswered = silent.map((r) => `${r.name} ${JSON.stringify(r.object)}`);
          return silent.length === 0 ? true : undefined;
        },
        "a Deployment or a Warning Event for every accepted multi-model runtime",
        SETTLE_MS,
      ).catch((error: unknown) => {
        throw new Error(
          `${(error as Error).message}; e.g. ${lastUnanswered.slice(0, 3).join("; ")} (${lastUnanswered.length})`,
        );
      });

      const generatedRuntimes = outcomes.filter((o) => o.kind === "ServingRuntime").length;
      const renderedShare = Number((runtimeAnswers.deployment / generatedRuntimes).toFixed(3));

      const tally = (list: Outcome[]) =>
        list.reduce<Record<string, number>>((acc, o) => {
          const key = `${o.kind}:${o.rejected === undefined ? "accepted" : /admission webhook/.test(o.rejected) ? "webhook-rejected" : "api-rejected"}`;
          acc[key] = (acc[key] ?? 0) + 1;
          return acc;
        }, {});
      const states: Record<string, number> = {};
      for (const answer of answers.values()) {
        const key = answer.reason === undefined ? `${answer.state}` : `${answer.state}/${answer.reason}`;
        states[key] = (states[key] ?? 0) + 1;
      }
      recordFigures("resilience-bad-input", {
        n: FUZZ_N,
        seed: SEED,
        outcomes: tally(outcomes),
        rejectionSamples: [
          ...new Set(
            outcomes.flatMap((o) =>
              o.rejected === undefined ? [] : [`${o.kind}: ${o.rejected.slice(0, 160)}`],
            ),
          ),
        ].slice(0, 12),
        modelStates: states,
        runtimes: { generated: generatedRuntimes, ...runtimeAnswers, renderedShare },
        applyMs: appliedMs,
        answeredMs: Date.now() - started,
      });
      expect(cluster.controllers.every((c) => !c.crashed())).toBe(true);
      expect(
        renderedShare,
        `${runtimeAnswers.deployment} of ${generatedRuntimes} generated runtimes got a Deployment`,
      ).toBeGreaterThanOrEqual(MIN_RENDERED_RUNTIME_SHARE);
    },
    SETTLE_MS * 3,
  );

  it("every invalid configuration gets a Warning Event and the controller keeps running", async () => {
    const documents = fc.sample(userConfigYaml, { numRuns: CONFIGS, seed: SEED + 10 });
    let invalid = 0;
    const started = Date.now();
    for (const [i, yamlText] of documents.entries()) {
      const data = { "config.yaml": yamlText };
      await cluster.client.apply(
        CONFIG_MAPS,
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "model-serving-config", namespace: cluster.namespace },
          data,
        } as KubernetesObject,
        { fieldManager: "fuzz", force: true },
      );
      const parsed = parseUserConfig(data);
      if (parsed.ok) continue;
      invalid++;
      await eventually(
        async () => {
          const events = await cluster.client.list<CoreEvent>(CORE_EVENTS, { namespace: cluster.namespace });
          return events.items.some(
            (e) =>
              e.type === "Warning" &&
              e.reason === "InvalidConfiguration" &&
              e.involvedObject?.name === "model-serving-config" &&
              (e.message ?? "").startsWith(parsed.error),
          )
            ? true
            : undefined;
        },
        `a Warning Event for configuration ${i}: ${JSON.stringify(yamlText)} (${parsed.error})`,
        20_000,
      );
    }
    await cluster.client.delete(CONFIG_MAPS, "model-serving-config", cluster.namespace);
    recordFigures("resilience-bad-input", {
      configs: CONFIGS,
      invalidConfigs: invalid,
      configsMs: Date.now() - started,
    });
    for (const controller of cluster.controllers) {
      expect(controller.crashed()).toBe(false);
      expect(crashLines(controller.logLines())).toEqual([]);
    }
  }, 600_000);
});

let lastUnanswered: string[] = [];
