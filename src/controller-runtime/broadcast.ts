/**
 * The one way a change source tells its listeners: every change goes to each listener in the order they
 * subscribed, and a listener that throws is logged without keeping the change from the others.
 */
import type { ChangeSource } from "./controller.js";
import type { Logger } from "./logging.js";

export class Broadcast<C> implements ChangeSource<C> {
  readonly #listeners: ((change: C) => void)[] = [];

  /** `describe`: what of a change goes into the log line of a listener that threw (nothing by default). */
  constructor(
    private readonly log: Logger,
    private readonly what: string,
    private readonly describe: (change: C) => Record<string, unknown> = () => ({}),
  ) {}

  onChange(listener: (change: C) => void): void {
    this.#listeners.push(listener);
  }

  emit(change: C): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.log.error({ err: error, ...this.describe(change) }, `${this.what} listener threw`);
      }
    }
  }
}
