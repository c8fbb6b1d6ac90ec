/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. model-mesh serves its registry tables from memory and keeps
 * them current with an etcd watch; so does the emulator, so that reads cost no round trip and only writes go to
 * etcd. A write of its own is seen by reads from the moment it is staged, before etcd has it, and replaces the
 * committed value once etcd answers (or vanishes when etcd refuses it); the watch brings in what others write
 * (tests planting records) and never replaces a newer value with an older one.
 */
import type { Etcd3, IKeyValue, Watcher } from "etcd3";
import type { Logger } from "../../../src/controller-runtime/logging.js";
import { type JsonRecord, parseRecord } from "./records.js";

interface Entry {
  readonly revision: bigint;
  /** Undefined when deleted or not a record (model-mesh skips what it cannot parse). */
  readonly record: JsonRecord | undefined;
}

/** A write of our own on its way to etcd; reads see it over the committed value. */
export interface StagedWrite {
  readonly key: string;
  readonly record: JsonRecord | undefined;
}

const RELOAD_DELAY_MS = 500;

export class RecordCache {
  private readonly entries = new Map<string, Entry>();
  /** The newest staged write of each key, until etcd has it or refused it. */
  private readonly staged = new Map<string, StagedWrite>();
  private watcher: Watcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly etcd: Etcd3,
    /** Every key under this prefix is cached, keyed by the rest of it. */
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** Reads the range and starts following it. */
  async start(): Promise<void> {
    await this.load();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reloadTimer);
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.cancel().catch(() => undefined);
  }

  /** A copy: callers change records before committing them, and a failed commit must leave the cache as it was. */
  get(key: string): JsonRecord | undefined {
    const record = this.peek(key);
    return record === undefined ? undefined : structuredClone(record);
  }

  /**
   * The cached record itself, not a copy, for callers that only read it (the inference path, on every request).
   * A change stores a new object, so the one returned stays as it was.
   */
  peek(key: string): Readonly<JsonRecord> | undefined {
    const staged = this.staged.get(key);
    return staged === undefined ? this.entries.get(key)?.record : staged.record;
  }

  /**
   * Like `get`, but a record the cache does not hold (never seen, or seen deleted) is read from etcd (model-mesh's
   * "strong read if absent"): a caller that heard of it from its own watch must not be told it does not exist
   * because ours lags.
   */
  async getOrReadIfAbsent(key: string): Promise<JsonRecord | undefined> {
    const record = await this.peekOrReadIfAbsent(key);
    return record === undefined ? undefined : structuredClone(record);
  }

  /** `peek`, with the strong read of `getOrReadIfAbsent`. */
  async peekOrReadIfAbsent(key: string): Promise<Readonly<JsonRecord> | undefined> {
    const cached = this.peek(key);
    if (cached !== undefined || this.staged.has(key)) return cached;
    const response = await this.etcd.get(`${this.prefix}${key}`).exec();
    const [kv] = response.kvs;
    if (kv !== undefined) this.applyWatched(kv, false);
    return this.peek(key);
  }

  /** Copies of every record whose key starts with `keyPrefix`, by the rest of the key. */
  all(keyPrefix: string): Map<string, JsonRecord> {
    const found = new Map<string, JsonRecord>();
    for (const [key, record] of this.peekAll(keyPrefix)) found.set(key, structuredClone(record));
    return found;
  }

  /** Like `all`, without copies: the records are the cache's own and must not be changed. */
  *peekAll(keyPrefix: string): IterableIterator<[string, Readonly<JsonRecord>]> {
    for (const [key, entry] of this.entries) {
      if (entry.record !== undefined && key.startsWith(keyPrefix) && !this.staged.has(key))
        yield [key.slice(keyPrefix.length), entry.record];
    }
    for (const [key, { record }] of this.staged) {
      if (record !== undefined && key.startsWith(keyPrefix)) yield [key.slice(keyPrefix.length), record];
    }
  }

  /** Makes a write (`undefined`: a delete) visible to reads while it goes to etcd. */
  stage(key: string, record: JsonRecord | undefined): StagedWrite {
    const write = { key, record };
    this.staged.set(key, write);
    return write;
  }

  /** etcd has the staged write, at `revision`. */
  committed(write: StagedWrite, revision: bigint): void {
    this.apply(write.key, revision, write.record);
    this.unstage(write);
  }

  /** etcd refused the staged write: reads see the committed value again (or a newer staged one). */
  unstage(write: StagedWrite): void {
    if (this.staged.get(write.key) === write) this.staged.delete(write.key);
  }

  private apply(key: string, revision: bigint, record: JsonRecord | undefined): void {
    const known = this.entries.get(key);
    if (known === undefined || known.revision < revision) this.entries.set(key, { revision, record });
  }

  private applyWatched(kv: IKeyValue, deleted: boolean): void {
    const key = kv.key.toString();
    if (!key.startsWith(this.prefix)) return;
    this.apply(
      key.slice(this.prefix.length),
      BigInt(kv.mod_revision),
      deleted ? undefined : parseRecord(kv.value.toString()),
    );
  }

  private async load(): Promise<void> {
    const response = await this.etcd.getAll().prefix(this.prefix).exec();
    const revision = BigInt(response.header.revision);
    const present = new Set<string>();
    for (const kv of response.kvs) {
      present.add(kv.key.toString().slice(this.prefix.length));
      this.applyWatched(kv, false);
    }
    // Keys gone while the watch was broken.
    for (const key of this.entries.keys()) if (!present.has(key)) this.apply(key, revision, undefined);
    const watcher = await this.etcd
      .watch()
      .prefix(this.prefix)
      .startRevision(String(revision + 1n))
      .create();
    watcher.on("put", (kv) => this.applyWatched(kv, false));
    watcher.on("delete", (kv) => this.applyWatched(kv, true));
    // A cancelled watch (compaction, etcd restart past a compaction): read everything again.
    watcher.on("error", (error) => {
      this.log.warn({ error: String(error) }, "registry watch broke; reading the registry again");
      void watcher.cancel().catch(() => undefined);
      this.scheduleReload();
    });
    this.watcher = watcher;
  }

  private scheduleReload(): void {
    if (this.stopped) return;
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.load().catch((error: unknown) => {
        this.log.warn({ error: String(error) }, "could not read the registry; retrying");
        this.scheduleReload();
      });
    }, RELOAD_DELAY_MS);
  }
}
