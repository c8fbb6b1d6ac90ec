import { describe, expect, it } from "vitest";
import { modelsDirSizeLimit } from "./volumes.js";

const withLimits = (...memory: (string | number | undefined)[]) =>
  memory.map((limit, index) => ({
    name: `c${index}`,
    resources: limit === undefined ? {} : { limits: { memory: limit as string } },
  }));

describe("modelsDirSizeLimit (1.5 × the runtime containers' memory limits)", () => {
  it.each([
    [["1Gi"], "1536Mi"],
    [["1Gi", "1Gi"], "3Gi"],
    [["512Mi", undefined], "768Mi"],
    [["1G"], "1500000000"],
    [["1536Mi", "100M"], "2565919104"],
    [[1073741824], "1536Mi"],
    [["0.5Gi"], "768Mi"],
    [["1001m"], "3"],
  ])("%j ⇒ %s", (limits, expected) => {
    expect(modelsDirSizeLimit(withLimits(...limits))).toEqual({ ok: true, value: expected });
  });

  it("has no limit when no container limits memory (upstream wrote 0)", () => {
    expect(modelsDirSizeLimit(withLimits(undefined, undefined))).toEqual({ ok: true, value: undefined });
    expect(modelsDirSizeLimit([])).toEqual({ ok: true, value: undefined });
  });

  it("refuses a limit that is not a quantity", () => {
    expect(modelsDirSizeLimit(withLimits("1Gi", "big"))).toEqual({
      ok: false,
      error:
        'container c1: cannot parse resources.limits.memory "big": ' +
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    });
  });
});
