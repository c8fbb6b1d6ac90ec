import { describe, expect, it } from "vitest";
import { registryEventKey, vmodelEventKey } from "./registry-watcher.js";

describe("registry events to reconcile keys", () => {
  it("maps a vmodel to its owner, an empty owner to Predictors", () => {
    expect(vmodelEventKey("ns", "iris", '{"o":"isvc","amid":"iris__isvc-0123456789"}')).toEqual({
      source: "isvc",
      namespace: "ns",
      name: "iris",
    });
    expect(vmodelEventKey("ns", "iris", '{"amid":"x","lu":9223372036854775807}')).toEqual({
      source: "ksp",
      namespace: "ns",
      name: "iris",
    });
  });

  it("describes malformed vmodel records instead of throwing", () => {
    expect(vmodelEventKey("ns", "v", "{oops")).toMatch(/^unparseable vmodel record/);
    expect(vmodelEventKey("ns", "v", "[1]")).toBe("vmodel record is not a JSON object");
    expect(vmodelEventKey("ns", "v", '{"o":5}')).toBe("vmodel record field 'o' is not a string");
  });

  it("maps our registry keys and ignores the others", () => {
    expect(registryEventKey("ns", "a__b__ksp-0123456789")).toEqual({
      source: "ksp",
      namespace: "ns",
      name: "a__b",
    });
    expect(registryEventKey("ns", "some-model")).toBeUndefined();
  });
});
