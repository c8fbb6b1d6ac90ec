/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. Registry changes run one at a time, so that each reads the
 * records the previous one made (model-mesh gets the same from its compare-and-set retries). Their etcd writes
 * overlap (`RegistryStore.commit`): a section ends when its changes are made, and its caller hears back once they
 * are stored. Waiting for a load happens outside, so a blocked `sync` call holds nothing up.
 */
type Outcome<T> =
  | { readonly ok: true; readonly value: T; readonly stored: Promise<void> }
  | { readonly ok: false; readonly error: unknown; readonly stored: Promise<void> };

export class Exclusive {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly answering = new Set<Promise<unknown>>();

  /** `written`: settles once the changes made since it was last called are stored (`RegistryStore.written`). */
  constructor(private readonly written: () => Promise<void> = () => Promise.resolve()) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    const section = this.tail.then(() =>
      fn().then(
        (value): Outcome<T> => ({ ok: true, value, stored: this.written() }),
        (error: unknown): Outcome<T> => ({ ok: false, error, stored: this.written() }),
      ),
    );
    this.tail = section;
    const answer = section.then(async (outcome) => {
      if (outcome.ok) {
        await outcome.stored;
        return outcome.value;
      }
      await outcome.stored.catch(() => undefined);
      throw outcome.error;
    });
    this.answering.add(answer);
    const settled = () => this.answering.delete(answer);
    answer.then(settled, settled);
    return answer;
  }

  /** Settles once everything queued so far has run and been stored. */
  async idle(): Promise<void> {
    await this.tail;
    await Promise.allSettled([...this.answering]);
  }
}
