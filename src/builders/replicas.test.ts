import { describe, expect, it } from "vitest";
import { defaultServingConfig, type ServingConfig } from "../config/serving-config.js";
import { runtimeLabelSet } from "./model-type-labels.js";
import { decideReplicas, type NoModelsSince, runtimeInUse } from "./replicas.js";

const NOW = Date.parse("2026-05-01T12:00:00Z");

function config(
  changes: Partial<ServingConfig["scaleToZero"]> & { podsPerRuntime?: number } = {},
): ServingConfig {
  const base = defaultServingConfig();
  const { podsPerRuntime, ...scaleToZero } = changes;
  return {
    ...base,
    podsPerRuntime: podsPerRuntime ?? base.podsPerRuntime,
    scaleToZero: { ...base.scaleToZero, ...scaleToZero },
  };
}

function decide(inUse: boolean, noModelsSince: NoModelsSince, cfg = config(), replicas?: number) {
  return decideReplicas({
    spec: replicas === undefined ? {} : { replicas },
    config: cfg,
    inUse,
    noModelsSince,
    nowMs: NOW,
  });
}

describe("decideReplicas", () => {
  it("uses podsPerRuntime, or the runtime's replicas, when scale-to-zero is off", () => {
    expect(decide(false, undefined, config({ enabled: false }))).toEqual({
      replicas: 2,
      requeueAfterMs: 0,
      noModelsSince: null,
      reason: "scale-to-zero-disabled",
    });
    expect(decide(false, undefined, config({ enabled: false }), 5).replicas).toBe(5);
  });

  it("keeps a runtime in use scaled up and forgets any grace period", () => {
    expect(decide(true, NOW - 5_000, config({ podsPerRuntime: 3 }))).toEqual({
      replicas: 3,
      requeueAfterMs: 0,
      noModelsSince: null,
      reason: "in-use",
    });
    expect(decide(true, undefined, config(), 0).replicas).toBe(0);
  });

  it("scales a runtime never seen in use to zero at once", () => {
    expect(decide(false, undefined)).toEqual({
      replicas: 0,
      requeueAfterMs: 0,
      noModelsSince: 0,
      reason: "scaled-to-zero",
    });
    expect(decide(false, 0)).toMatchObject({ replicas: 0, reason: "scaled-to-zero" });
  });

  it("starts the grace period when the last model goes", () => {
    expect(decide(false, null)).toEqual({
      replicas: 2,
      requeueAfterMs: 60_000,
      noModelsSince: NOW,
      reason: "grace-period-started",
    });
  });

  it("waits out the rest of the grace period", () => {
    expect(decide(false, NOW - 45_000)).toEqual({
      replicas: 2,
      requeueAfterMs: 15_000,
      noModelsSince: NOW - 45_000,
      reason: "within-grace-period",
    });
  });

  it("scales to zero once the grace period is over", () => {
    expect(decide(false, NOW - 60_000)).toEqual({
      replicas: 0,
      requeueAfterMs: 0,
      noModelsSince: NOW - 60_000,
      reason: "scaled-to-zero",
    });
  });

  it("with a zero grace period scales to zero as soon as the last model goes", () => {
    expect(decide(false, null, config({ gracePeriodSeconds: 0 }))).toMatchObject({
      replicas: 0,
      noModelsSince: NOW,
    });
  });

  it("a runtime with replicas 0 stays at 0 in use", () => {
    expect(decide(true, null, config(), 0)).toMatchObject({ replicas: 0, reason: "in-use" });
  });
});

describe("runtimeInUse", () => {
  const labels = runtimeLabelSet(
    "mlserver-1.x",
    {
      supportedModelFormats: [{ name: "sklearn", version: "0", autoSelect: true }],
      protocolVersions: ["grpc-v2"],
    },
    true,
  );
  it.each([
    [[], false],
    [["mt:onnx"], false],
    [["mt:onnx", "mt:sklearn|pv:v2"], true],
    [["rt:mlserver-1.x"], true],
  ])("%j ⇒ %s", (modelLabels, expected) => {
    expect(runtimeInUse(labels, modelLabels)).toBe(expected);
  });
});
