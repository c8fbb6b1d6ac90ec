import { describe, expect, it } from "vitest";
import { fail } from "../../lib/result.js";
import { registryEventKey, vmodelEventKey } from "./registry-watcher.js";

describe("registry events to reconcile keys", () => {
  it("maps a vmodel to its owner, an empty owner to Predictors", () => {
    expect(vmodelEventKey("ns", "iris", '{"o":"isvc","amid":"iris__isvc-0123456789"}')).toEqual({
      ok: true,
      value: { source: "isvc", namespace: "ns", name: "iris" },
    });
    expect(vmodelEventKey("ns", "iris", '{"amid":"x","lu":9223372036854775807}')).toEqual({
      ok: true,
      value: { source: "ksp", namespace: "ns", name: "iris" },
    });
  });

  it("describes malformed vmodel records instead of throwing", () => {
    expect(vmodelEventKey("ns", "v", "{oops")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^unparseable vmodel record/),
    });
    expect(vmodelEventKey("ns", "v", "[1]")).toEqual(fail("vmodel record is not a JSON object"));
    expect(vmodelEventKey("ns", "v", '{"o":5}')).toEqual(fail("vmodel record field 'o' is not a string"));
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
