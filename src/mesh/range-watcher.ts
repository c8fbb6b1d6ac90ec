import type { Etcd3, IKeyValue, Watcher } from "etcd3";
import type { Logger } from "../runtime/logging.js";

export type RangeEvent =
  | { readonly type: "update"; readonly key: string; readonly value: string }
  /** `previousValue` is the last value this watcher saw for the key, when it saw one. */
  | { readonly type: "delete"; readonly key: string; readonly previousValue: string | undefined };

export interface RangeWatcherOptions {
  readonly client: Etcd3;
  /** Every key under this prefix; keys in events are relative to it. */
  readonly prefix: string;
  readonly onEvent: (event: RangeEvent) => void;
  /** Called after each full read (first sync and every resync). */
  readonly onSynced?: () => void;
  readonly log: Logger;
  /** Waits between failed attempts: doubles from `minBackoffMs` up to `maxBackoffMs`. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * Mirrors one etcd key range: reads it whole, reports every key, then follows a watch from the next revision.
 * When the watch breaks (compaction, cancel, lost stream that cannot resume) it reads the range again and reports
 * what changed meanwhile, including DELETEs for keys that vanished. Errors are retried with backoff; it never
 * throws to its caller. Mirrors upstream's etcd range watcher, with backoff instead of a fixed 3 s.
 */
export class RangeWatcher {
  /** key → [mod revision, value]. */
  private readonly known = new Map<string, { revision: string; value: string }>();
  private watcher: Watcher | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;

  constructor(private readonly options: RangeWatcherOptions) {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.watcher?.cancel().catch(() => undefined);
    await this.done;
  }

  private async run(): Promise<void> {
    const { minBackoffMs = 500, maxBackoffMs = 30_000, log } = this.options;
    let backoff = minBackoffMs;
    while (!this.stopped) {
      try {
        const revision = await this.sync();
        backoff = minBackoffMs;
        const reason = await this.follow(revision);
        if (reason)
          log.info({ prefix: this.options.prefix, reason }, "etcd watch ended, resyncing the key range");
      } catch (error) {
        if (this.stopped) break;
        log.warn(
          { prefix: this.options.prefix, err: error, retryInMs: backoff },
          "etcd range refresh failed, retrying",
        );
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoffMs);
      }
    }
  }

  /** Reads the range, reports differences to what was known, returns the revision read at. */
  private async sync(): Promise<string> {
    const response = await this.options.client.getAll().prefix(this.options.prefix).exec();
    if (this.stopped) return "0";
    const seen = new Set<string>();
    for (const kv of response.kvs) {
      const key = this.relative(kv);
      seen.add(key);
      const before = this.known.get(key);
      if (before?.revision === kv.mod_revision) continue;
      const value = kv.value.toString("utf8");
      this.known.set(key, { revision: kv.mod_revision, value });
      this.emit({ type: "update", key, value });
    }
    for (const [key, before] of this.known) {
      if (seen.has(key)) continue;
      this.known.delete(key);
      this.emit({ type: "delete", key, previousValue: before.value });
    }
    this.options.onSynced?.();
    return response.header.revision;
  }

  /** Follows changes after `revision` until the watch fails; resolves with why. */
  private async follow(revision: string): Promise<string | undefined> {
    if (this.stopped) return undefined;
    const watcher = await this.options.client
      .watch()
      .prefix(this.options.prefix)
      .startRevision((BigInt(revision) + 1n).toString())
      .create();
    this.watcher = watcher;
    try {
      return await new Promise<string | undefined>((resolve) => {
        this.wake = () => resolve(undefined);
        if (this.stopped) resolve(undefined);
        watcher.on("put", (kv: IKeyValue) => {
          const key = this.relative(kv);
          const value = kv.value.toString("utf8");
          this.known.set(key, { revision: kv.mod_revision, value });
          this.emit({ type: "update", key, value });
        });
        watcher.on("delete", (kv: IKeyValue) => {
          const key = this.relative(kv);
          const before = this.known.get(key);
          this.known.delete(key);
          this.emit({ type: "delete", key, previousValue: before?.value });
        });
        // Cancelled by the server, e.g. "required revision has been compacted": only a fresh read helps.
        watcher.on("error", (error: Error) => resolve(error.message));
      });
    } finally {
      this.wake = undefined;
      this.watcher = undefined;
      await watcher.cancel().catch(() => undefined);
    }
  }

  private relative(kv: IKeyValue): string {
    return kv.key.toString("utf8").slice(this.options.prefix.length);
  }

  private emit(event: RangeEvent): void {
    try {
      this.options.onEvent(event);
    } catch (error) {
      this.options.log.error(
        { prefix: this.options.prefix, key: event.key, err: error },
        "etcd event handler failed",
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
