import { describe, expect, it } from "vitest";
import { isDone, renderProgress, rowOf } from "./progress.js";

const isvc = (name: string, active: string, ready: boolean, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  status: {
    modelStatus: { transitionStatus: "UpToDate", states: { activeModelState: active }, ...extra },
    conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
  },
});

describe("sandbox progress", () => {
  it("reads a row from an InferenceService status; an empty state reads as Pending", () => {
    expect(rowOf({ metadata: { name: "fresh" } })).toEqual({
      name: "fresh",
      active: "Pending",
      target: "",
      transition: "",
      available: false,
      failure: "",
    });
    const failed = rowOf(
      isvc("bad", "FailedToLoad", false, {
        lastFailureInfo: { reason: "ModelLoadFailed", message: "no such path" },
      }),
    );
    expect(failed.failure).toBe("ModelLoadFailed: no such path");
    expect(isDone(rowOf(isvc("ok", "Loaded", true)))).toBe(true);
    expect(isDone(failed)).toBe(false);
  });

  it("renders a table with a count of Loaded models", () => {
    const lines = renderProgress(
      [rowOf(isvc("a", "Loaded", true)), rowOf(isvc("bb", "Loading", false))],
      2500,
    );
    expect(lines[0]).toMatch(/^NAME {2}ACTIVE/);
    expect(lines[1]).toBe("a     Loaded       -            UpToDate            yes");
    expect(lines[2]).toBe("bb    Loading      -            UpToDate            no ");
    expect(lines.at(-1)).toBe(`[${"#".repeat(15)}${".".repeat(15)}] 1/2 Loaded  2.5 s`);
  });

  it("says per row what serves the model when told", () => {
    const lines = renderProgress(
      [
        { ...rowOf(isvc("sk", "Loaded", true)), servedBy: "MLServer 1.7.1 (real)" },
        { ...rowOf(isvc("onnx", "Loaded", true)), servedBy: "emulated" },
      ],
      1000,
    );
    expect(lines[0]).toMatch(/READY {2}SERVED BY$/);
    expect(lines[1]).toBe("sk    Loaded       -            UpToDate            yes  MLServer 1.7.1 (real)");
    expect(lines[2]).toBe("onnx  Loaded       -            UpToDate            yes  emulated");
  });
});
