import { describe, expect, it } from "vitest";
import {
  defaultControllerRateLimiter,
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
} from "./rate-limiter.js";

describe("ExponentialFailureRateLimiter", () => {
  it("doubles from 5 ms per failure of the same key and caps at 1000 s", () => {
    const limiter = new ExponentialFailureRateLimiter(5, 1_000_000);
    const delays = Array.from({ length: 20 }, () => limiter.when("a"));
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    expect(delays[17]).toBe(655_360);
    expect(delays[18]).toBe(1_000_000);
    expect(delays[19]).toBe(1_000_000);
    expect(limiter.numRequeues("a")).toBe(20);
  });

  it("stays finite after very many failures", () => {
    const limiter = new ExponentialFailureRateLimiter(5, 1_000_000);
    for (let i = 0; i < 5000; i++) limiter.when("a");
    expect(limiter.when("a")).toBe(1_000_000);
  });

  it("keeps keys apart and restarts a key after forget", () => {
    const limiter = new ExponentialFailureRateLimiter();
    limiter.when("a");
    limiter.when("a");
    expect(limiter.when("b")).toBe(5);
    limiter.forget("a");
    expect(limiter.numRequeues("a")).toBe(0);
    expect(limiter.when("a")).toBe(5);
  });
});

describe("TokenBucketRateLimiter", () => {
  it("lets the burst through, then spaces requests at the rate", () => {
    let now = 0;
    const limiter = new TokenBucketRateLimiter(10, 3, () => now);
    expect([limiter.when("a"), limiter.when("b"), limiter.when("c")]).toEqual([0, 0, 0]);
    expect(limiter.when("d")).toBeCloseTo(100);
    expect(limiter.when("e")).toBeCloseTo(200);
    now = 1000;
    expect(limiter.when("f")).toBe(0);
  });
});

describe("MaxOfRateLimiter", () => {
  it("asks for the longest delay and forgets in every limiter", () => {
    let now = 0;
    const limiter = new MaxOfRateLimiter(
      new ExponentialFailureRateLimiter(5, 1_000_000),
      new TokenBucketRateLimiter(10, 1, () => now),
    );
    expect(limiter.when("a")).toBe(5);
    expect(limiter.when("a")).toBeCloseTo(100);
    now = 10_000;
    limiter.forget("a");
    expect(limiter.numRequeues("a")).toBe(0);
    expect(limiter.when("a")).toBe(5);
  });

  it("is the default for controllers", () => {
    const limiter = defaultControllerRateLimiter();
    expect(limiter.when("x")).toBe(5);
    expect(limiter.when("x")).toBe(10);
  });
});
