/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. Registry changes run one at a time, so that each reads the
 * records the previous one wrote (model-mesh gets the same from its compare-and-set retries). Waiting for a load
 * happens outside, so a blocked `sync` call holds nothing up.
 */
export class Exclusive {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Settles once everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
