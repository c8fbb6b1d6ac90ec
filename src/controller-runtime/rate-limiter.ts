/**
 * Per-key retry delays, modelled on client-go's default controller rate limiter: the larger of a per-key
 * exponential backoff (5 ms doubling up to 1000 s) and an overall token bucket (10 per second, burst 100).
 */
export interface RateLimiter {
  /** Milliseconds to wait before the key may be retried; counts one more failure for the key. */
  when(key: string): number;
  /** Clears the key's failure history, after a success. */
  forget(key: string): void;
  /** How many times the key failed since it was last forgotten. */
  numRequeues(key: string): number;
}

export class ExponentialFailureRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();

  constructor(
    private readonly baseDelayMs = 5,
    private readonly maxDelayMs = 1_000_000,
  ) {}

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long before it matters; the cap keeps it finite.
    return Math.min(this.baseDelayMs * 2 ** failures, this.maxDelayMs);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** An overall limit across all keys, so a burst of failures cannot hammer the API server. */
export class TokenBucketRateLimiter implements RateLimiter {
  #tokens: number;
  #last: number;

  constructor(
    private readonly perSecond = 10,
    private readonly burst = 100,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  when(_key: string): number {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    this.#tokens -= 1;
    // A negative balance is a reservation: wait until the bucket has refilled up to it.
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.perSecond) * 1000;
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** Combines limiters: the delay is the longest any of them asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    return Math.max(0, ...this.#limiters.map((limiter) => limiter.when(key)));
  }

  forget(key: string): void {
    for (const limiter of this.#limiters) limiter.forget(key);
  }

  numRequeues(key: string): number {
    return Math.max(0, ...this.#limiters.map((limiter) => limiter.numRequeues(key)));
  }
}

/** controller-runtime's default: 5 ms → 1000 s per key, 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter(): RateLimiter {
  return new MaxOfRateLimiter(
    new ExponentialFailureRateLimiter(5, 1_000_000),
    new TokenBucketRateLimiter(10, 100),
  );
}
