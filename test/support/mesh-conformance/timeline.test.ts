import { describe, expect, it } from "vitest";
import { Timeline } from "./timeline.js";

describe("the recordings' time axis on a replay's clock", () => {
  it("scales from the last anchor before the instant, and keeps whole hours unscaled", () => {
    const timeline = new Timeline(0.1, 1_000_000);
    timeline.anchor(100, 1_000_015); // the replay sent this call 5 ms late
    timeline.anchor(5_000, 1_000_600);
    expect(timeline.epochOf(50)).toBe(1_000_005);
    expect(timeline.epochOf(300)).toBe(1_000_035);
    expect(timeline.epochOf(6_000)).toBe(1_000_700);
    expect(timeline.epochOf(300 - 3_600_000)).toBe(1_000_035 - 3_600_000);
    expect(timeline.epochOf(-21_600_000 + 100)).toBe(1_000_015 - 21_600_000);
  });
});
