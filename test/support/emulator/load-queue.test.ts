import { describe, expect, it } from "vitest";
import { LoadQueue } from "./load-queue.js";

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("an instance's load queue", () => {
  it("runs at most `threads` loads at once and starts the rest first in, first out", async () => {
    const queue = new LoadQueue(2);
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    for (const name of ["a", "b", "c", "d"]) {
      const g = gate();
      gates.set(name, g);
      queue.enqueue(async () => {
        started.push(name);
        await g.opened;
      });
    }
    await settle();
    expect(started).toEqual(["a", "b"]);
    expect(queue.inProgress).toBe(4);
    gates.get("b")?.open();
    await settle();
    expect(started).toEqual(["a", "b", "c"]);
    gates.get("a")?.open();
    await settle();
    expect(started).toEqual(["a", "b", "c", "d"]);
    gates.get("c")?.open();
    gates.get("d")?.open();
    await settle();
    expect(queue.inProgress).toBe(0);
  });

  it("takes a queued load out when cancelled, but not one already running", async () => {
    const queue = new LoadQueue(1);
    const started: string[] = [];
    const first = gate();
    const running = queue.enqueue(async () => {
      started.push("running");
      await first.opened;
    });
    const queued = queue.enqueue(async () => {
      started.push("queued");
    });
    await settle();
    expect(queued.cancel()).toBe(true);
    expect(running.cancel()).toBe(false);
    first.open();
    await settle();
    expect(started).toEqual(["running"]);
    expect(queue.inProgress).toBe(0);
  });

  it("frees the thread when a load fails", async () => {
    const queue = new LoadQueue(1);
    const started: string[] = [];
    queue.enqueue(() => Promise.reject(new Error("boom")));
    queue.enqueue(async () => {
      started.push("next");
    });
    await settle();
    await settle();
    expect(started).toEqual(["next"]);
  });
});
