import { describe, expect, it } from "vitest";
import { parseLoadTime, sampleLoadTime } from "./load-time.js";

describe("emulated load time", () => {
  it("parses a fixed time and a range", () => {
    expect(parseLoadTime("300")).toBe(300);
    expect(parseLoadTime("200-400")).toEqual({ minMs: 200, maxMs: 400 });
    expect(parseLoadTime(" 5 - 5 ")).toEqual({ minMs: 5, maxMs: 5 });
  });

  it("refuses anything else", () => {
    for (const text of ["", "3s", "-5", "400-200", "1-2-3"]) expect(() => parseLoadTime(text)).toThrow();
  });

  it("samples a range uniformly between its ends", () => {
    expect(sampleLoadTime(300)).toBe(300);
    expect(sampleLoadTime({ minMs: 200, maxMs: 400 }, () => 0)).toBe(200);
    expect(sampleLoadTime({ minMs: 200, maxMs: 400 }, () => 0.5)).toBe(300);
    expect(sampleLoadTime({ minMs: 200, maxMs: 400 }, () => 0.999999)).toBe(400);
  });
});
