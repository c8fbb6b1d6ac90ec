import { describe, expect, it } from "vitest";
import { Broadcast } from "./broadcast.js";
import { createLogger } from "./logging.js";

describe("Broadcast", () => {
  it("gives every change to each listener in the order they subscribed", () => {
    const heard: string[] = [];
    const broadcast = new Broadcast<number>(createLogger("test"), "number");
    broadcast.onChange((n) => heard.push(`a${n}`));
    broadcast.onChange((n) => heard.push(`b${n}`));
    broadcast.emit(1);
    broadcast.emit(2);
    expect(heard).toEqual(["a1", "b1", "a2", "b2"]);
  });

  it("a listener that throws does not keep the change from the others", () => {
    const heard: number[] = [];
    const broadcast = new Broadcast<number>(createLogger("test"), "number");
    broadcast.onChange(() => {
      throw new Error("listener bug");
    });
    broadcast.onChange((n) => heard.push(n));
    expect(() => broadcast.emit(7)).not.toThrow();
    expect(heard).toEqual([7]);
  });
});
