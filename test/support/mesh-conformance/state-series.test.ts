import { describe, expect, it } from "vitest";
import { distinctRuns, seriesMismatch } from "./state-series.js";

describe("polled states compared as distinct runs", () => {
  it("counts the polls of each run", () => {
    expect(distinctRuns(["a", "a", "b", "a"])).toEqual([
      { state: "a", polls: 2 },
      { state: "b", polls: 1 },
      { state: "a", polls: 1 },
    ]);
  });

  it("accepts the same runs at other poll counts", () => {
    expect(seriesMismatch(["L", "L", "L", "D", "D"], ["L", "D", "D", "D"])).toBeUndefined();
  });

  it("lets a state seen in one poll only be missed, but no other", () => {
    expect(seriesMismatch(["N", "L", "L", "D"], ["L", "D"])).toBeUndefined();
    expect(seriesMismatch(["N", "L", "L", "D"], ["D"])).toMatch(/misses a state .*: L/);
  });

  it("refuses other states, another order, and another end", () => {
    expect(seriesMismatch(["L", "L", "D"], ["L", "X", "D"])).toMatch(/does not have, or out of order: X/);
    expect(seriesMismatch(["L", "D", "D"], ["D", "L", "D"])).toMatch(/out of order/);
    expect(seriesMismatch(["L", "L", "D"], ["L", "L"])).toBe("ends in another state");
    expect(seriesMismatch(["D"], ["D"])).toBeUndefined();
  });
});
