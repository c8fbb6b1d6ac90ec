import type { V1Deployment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { deploymentEvent, inNamespace } from "./events.js";
import { rememberedNoModelsSince } from "./reconciler.js";

const TARGET = "modelmesh-serving-mlserver-1.x";
const live = (replicas: number | undefined): V1Deployment => ({
  spec: { replicas, selector: {}, template: {} },
});

describe("the Normal Event of a Deployment change", () => {
  it.each([
    [undefined, 2, "DeploymentCreated", `Created Deployment ${TARGET} with 2 replicas`],
    [undefined, undefined, "DeploymentCreated", `Created Deployment ${TARGET} with unmanaged replicas`],
    [live(2), 0, "ScaledToZero", `Scaled Deployment ${TARGET} to zero: no model uses this runtime`],
    [live(undefined), 0, "ScaledToZero", `Scaled Deployment ${TARGET} to zero: no model uses this runtime`],
    [live(0), 3, "ScaledUp", `Scaled Deployment ${TARGET} up to 3 replicas`],
  ])("live %j, replicas %j: %s", (before, replicas, reason, message) => {
    expect(deploymentEvent(TARGET, before, replicas)).toEqual({ reason, message });
  });

  it.each([
    [live(0), 0],
    [live(2), 2],
    [live(2), 3],
    [live(0), undefined],
  ])("none for live %j and replicas %j", (before, replicas) => {
    expect(deploymentEvent(TARGET, before, replicas)).toBeUndefined();
  });

  it("names the namespace in the messages of a ClusterServingRuntime only", () => {
    const cluster = { kind: "ClusterServingRuntime" as const, object: { metadata: { name: "x" } } };
    const namespaced = {
      kind: "ServingRuntime" as const,
      object: { metadata: { name: "x", namespace: "a" } },
    };
    expect(inNamespace(cluster, "team-a", "m")).toBe("namespace team-a: m");
    expect(inNamespace(namespaced, "a", "m")).toBe("m");
  });
});

describe("the scale-to-zero memory a decision starts from", () => {
  it("what the process remembers wins", () => {
    const memory = new Map<string, number | null>([
      ["ns/a", 1234],
      ["ns/b", null],
    ]);
    expect(rememberedNoModelsSince(memory, "ns/a", 3)).toBe(1234);
    expect(rememberedNoModelsSince(memory, "ns/b", 0)).toBeNull();
  });

  it("after a restart a running Deployment gets a fresh grace period, one at zero or absent none", () => {
    const memory = new Map<string, number | null>();
    expect(rememberedNoModelsSince(memory, "ns/a", 2)).toBeNull();
    expect(rememberedNoModelsSince(memory, "ns/a", 0)).toBeUndefined();
    expect(rememberedNoModelsSince(memory, "ns/a", undefined)).toBeUndefined();
  });
});
