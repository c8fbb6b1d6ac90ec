/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. One instance's loading threads: model-mesh runs at most
 * `maxLoadingConcurrency` loads at a time per instance and queues the rest. The real queue is a priority queue
 * (waiting requests before proactive loads, then by last use); the recordings never had two loads queued at once,
 * so its order is not known from them, and this queue is first in, first out.
 */

export interface QueuedLoad {
  /** Takes it out of the queue if it has not started; false once it runs. */
  cancel(): boolean;
}

export class LoadQueue {
  private readonly waiting: Array<() => Promise<void>> = [];
  private running = 0;

  constructor(readonly threads: number) {}

  /** `run` starts when a thread is free; the thread is busy until its promise settles. */
  enqueue(run: () => Promise<void>): QueuedLoad {
    this.waiting.push(run);
    this.startNext();
    return {
      cancel: () => {
        const at = this.waiting.indexOf(run);
        if (at < 0) return false;
        this.waiting.splice(at, 1);
        return true;
      },
    };
  }

  /** Loads running or queued (model-mesh's `lInProg`). */
  get inProgress(): number {
    return this.running + this.waiting.length;
  }

  private startNext(): void {
    while (this.running < this.threads) {
      const run = this.waiting.shift();
      if (run === undefined) return;
      this.running++;
      void run()
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.startNext();
        });
    }
  }
}
