import { describe, expect, it } from "vitest";
import { mergePatchDiff, semanticEqual } from "./apply.js";

describe("semanticEqual", () => {
  it("ignores key order and undefined-valued keys", () => {
    expect(semanticEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1, d: undefined })).toBe(true);
  });

  it("sees changed values, array order and extra keys", () => {
    expect(semanticEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(semanticEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(semanticEqual({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(semanticEqual([], {})).toBe(false);
    expect(semanticEqual(null, {})).toBe(false);
  });
});

describe("mergePatchDiff", () => {
  const status = {
    activeModelState: "Loaded",
    available: true,
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2024-01-01T00:00:00Z" }],
    lastFailureInfo: { reason: "ModelLoadFailed", message: "boom" },
  };

  it("finds nothing to write for an unchanged status, whatever the key order", () => {
    const reordered = {
      lastFailureInfo: { message: "boom", reason: "ModelLoadFailed" },
      conditions: [{ lastTransitionTime: "2024-01-01T00:00:00Z", status: "True", type: "Ready" }],
      available: true,
      activeModelState: "Loaded",
    };
    expect(mergePatchDiff(status, reordered)).toBeUndefined();
  });

  it("sends changed keys, removed keys as null, and arrays whole", () => {
    const next = {
      activeModelState: "Loading",
      available: true,
      conditions: [{ type: "Ready", status: "False", lastTransitionTime: "2024-01-02T00:00:00Z" }],
      lastFailureInfo: { reason: "ModelLoadFailed" },
    };
    expect(mergePatchDiff(status, next)).toEqual({
      activeModelState: "Loading",
      conditions: next.conditions,
      lastFailureInfo: { message: null },
    });
    expect(mergePatchDiff(status, { ...status, lastFailureInfo: undefined })).toEqual({
      lastFailureInfo: null,
    });
  });

  it("writes a whole status where none existed", () => {
    expect(mergePatchDiff({}, { available: false })).toEqual({ available: false });
  });
});
