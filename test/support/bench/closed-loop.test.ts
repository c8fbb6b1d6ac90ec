import { describe, expect, it } from "vitest";
import { closedLoop } from "./closed-loop.js";

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe("closedLoop", () => {
  it("sends exactly the requests asked for, never more than `concurrency` at once", async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    let sent = 0;
    const run = await closedLoop(
      async () => {
        sent++;
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await tick();
        inFlight--;
      },
      { requests: 50, concurrency: 8 },
    );
    expect(sent).toBe(50);
    expect(mostInFlight).toBe(8);
    expect(run.latenciesMs).toHaveLength(50);
    expect(run.latenciesMs.every((ms) => ms > 0)).toBe(true);
    expect(run.wallMs).toBeGreaterThanOrEqual(Math.max(...run.latenciesMs));
  });

  it("starts no more senders than requests", async () => {
    let sent = 0;
    await closedLoop(
      async () => {
        sent++;
      },
      { requests: 3, concurrency: 8 },
    );
    expect(sent).toBe(3);
  });

  it("ends at the first wrong answer and throws it", async () => {
    let sent = 0;
    const running = closedLoop(
      async () => {
        sent++;
        await tick();
        if (sent === 5) throw new Error("unexpected answer");
      },
      { requests: 1000, concurrency: 2 },
    );
    await expect(running).rejects.toThrow("unexpected answer");
    expect(sent).toBeLessThan(10);
  });
});
