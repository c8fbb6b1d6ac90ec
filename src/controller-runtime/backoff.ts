/** Exponential backoff with jitter for reconnect loops (client-go's reflector: 800 ms doubling to 30 s). */
export class Backoff {
  #attempt = 0;

  constructor(
    private readonly initialMs = 800,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next delay; up to a fifth longer than the plain exponential, so that many clients spread out. */
  next(): number {
    const base = Math.min(this.initialMs * 2 ** this.#attempt, this.maxMs);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return base * (1 + 0.2 * this.random());
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
