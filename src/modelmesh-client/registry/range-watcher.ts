/** Watches one etcd key range from a consistent read, reading it again whenever the watch breaks. */
import type { Etcd3, IKeyValue, Watcher } from "etcd3";
import type { Logger } from "../../controller-runtime/logging.js";

/** Bounds a range read and the start of a watch; etcd3 would otherwise wait for a connection forever. */
const CALL_TIMEOUT_MS = 10_000;

/** etcd3 waits for the server to confirm a cancel, which never comes over a broken stream. */
async function cancelSoon(watcher: Watcher): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    watcher.cancel().catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 2_000);
    }),
  ]);
  clearTimeout(timer);
}

export type RangeEvent =
  | { readonly type: "update"; readonly key: string; readonly value: string }
  /** `previousValue` is the last value this watcher saw for the key, when it saw one. */
  | { readonly type: "delete"; readonly key: string; readonly previousValue: string | undefined };

export interface RangeWatcherOptions {
  readonly client: Etcd3;
  /** Every key under this prefix; keys in events are relative to it. */
  readonly prefix: string;
  readonly onEvent: (event: RangeEvent) => void;
  /**
   * Keep each key's last value, for `previousValue` on deletes (default true). Off, only revisions are kept: a
   * range of thousands of records whose deletes need no value then costs no copy of them.
   */
  readonly keepValues?: boolean;
  /**
   * Called after each full read but the first: the watch broke or etcd was unreachable, and is back. What failed
   * meanwhile because etcd was away may succeed now.
   */
  readonly onResynced?: () => void;
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
  /** key → mod revision and (with `keepValues`) value. */
  private readonly known = new Map<string, { revision: string; value: string | undefined }>();
  private watcher: Watcher | undefined;
  private stopped = false;
  private synced = false;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;

  private readonly keepValues: boolean;

  constructor(private readonly options: RangeWatcherOptions) {
    this.keepValues = options.keepValues ?? true;
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
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
    const response = await this.options.client
      .getAll()
      .prefix(this.options.prefix)
      .options({ deadline: Date.now() + CALL_TIMEOUT_MS })
      .exec();
    if (this.stopped) return "0";
    const seen = new Set<string>();
    for (const kv of response.kvs) {
      const key = this.relative(kv);
      seen.add(key);
      const before = this.known.get(key);
      if (before?.revision === kv.mod_revision) continue;
      const value = kv.value.toString("utf8");
      this.known.set(key, { revision: kv.mod_revision, value: this.keepValues ? value : undefined });
      this.emit({ type: "update", key, value });
    }
    for (const [key, before] of this.known) {
      if (seen.has(key)) continue;
      this.known.delete(key);
      this.emit({ type: "delete", key, previousValue: before.value });
    }
    if (this.synced) this.options.onResynced?.();
    this.synced = true;
    return response.header.revision;
  }

  /** Follows changes after `revision` until the watch breaks; resolves with why. */
  private async follow(revision: string): Promise<string | undefined> {
    if (this.stopped) return undefined;
    const watcher = this.options.client
      .watch()
      .prefix(this.options.prefix)
      .startRevision((BigInt(revision) + 1n).toString())
      .watcher();
    this.watcher = watcher;
    try {
      return await new Promise<string | undefined>((resolve) => {
        this.wake = () => resolve(undefined);
        if (this.stopped) resolve(undefined);
        const notConnected = setTimeout(() => resolve("the watch did not start in time"), CALL_TIMEOUT_MS);
        watcher.on("connected", () => clearTimeout(notConnected));
        watcher.on("put", (kv: IKeyValue) => {
          const key = this.relative(kv);
          const value = kv.value.toString("utf8");
          this.known.set(key, { revision: kv.mod_revision, value: this.keepValues ? value : undefined });
          this.emit({ type: "update", key, value });
        });
        watcher.on("delete", (kv: IKeyValue) => {
          const key = this.relative(kv);
          const before = this.known.get(key);
          this.known.delete(key);
          this.emit({ type: "delete", key, previousValue: before?.value });
        });
        // A lost stream may come back at a compacted revision, and a server cancel (e.g. "required revision has
        // been compacted") is final: either way a fresh read is what brings the mirror up to date.
        watcher.on("disconnected", (error: Error) => {
          clearTimeout(notConnected);
          resolve(`disconnected: ${error.message}`);
        });
        watcher.on("error", (error: Error) => {
          clearTimeout(notConnected);
          resolve(error.message);
        });
      });
    } finally {
      this.wake = undefined;
      this.watcher = undefined;
      watcher.removeAllListeners();
      await cancelSoon(watcher);
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
