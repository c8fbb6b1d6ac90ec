/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. model-mesh's registry and vmodel tables in etcd under
 * `<servicePrefix>/{registry,vmodels}/`: reads come from the watched cache (`RecordCache`), and every change is one
 * etcd transaction whose operations keep the caller's order, as model-mesh's multi-key transactions do (a watcher
 * sees them as events of one revision, in that order). Changes are seen by reads as they are made and reach etcd
 * concurrently (`commit`).
 */
import type { Etcd3 } from "etcd3";
import type { Logger } from "../../../src/controller-runtime/logging.js";
import { REGISTRY_TABLE, VMODELS_TABLE } from "../../../src/modelmesh-client/registry/registry-watcher.js";
import { RecordCache } from "./record-cache.js";
import { type JsonRecord, parseRecord, serializeRecord } from "./records.js";
import {
  type ModelRecord,
  modelRecordFromJson,
  modelRecordJson,
  type VModelRecord,
  vmodelRecordFromJson,
  vmodelRecordJson,
} from "./registry-records.js";

export type RegistryOp =
  | { readonly put: "model"; readonly id: string; readonly record: ModelRecord }
  | { readonly put: "vmodel"; readonly id: string; readonly record: VModelRecord }
  | { readonly delete: "model" | "vmodel"; readonly id: string };

const TABLE = { model: REGISTRY_TABLE, vmodel: VMODELS_TABLE } as const;

/** A model record that is only read: `readModel` shares one between readers. */
export type ReadonlyModelRecord = Readonly<Omit<ModelRecord, "instanceIds" | "failedIn" | "fails">> & {
  readonly instanceIds: ReadonlyMap<string, number>;
  readonly failedIn: ReadonlyMap<string, number>;
  readonly fails: ReadonlyMap<string, string>;
};

export class RegistryStore {
  private readonly cache: RecordCache;
  /** Converted records by the cached JSON they came from (a new object with each change of the record). */
  private readonly conversions = new WeakMap<Readonly<JsonRecord>, ModelRecord | VModelRecord>();
  /** The newest transaction writing each key, while it is on its way. */
  private readonly lastWriteOf = new Map<string, Promise<void>>();
  /** The commits made since the last `written()`. */
  private sinceWritten: Promise<void>[] = [];

  constructor(
    private readonly etcd: Etcd3,
    private readonly servicePrefix: string,
    log: Logger,
  ) {
    this.cache = new RecordCache(etcd, `${servicePrefix}/`, log);
  }

  start(): Promise<void> {
    return this.cache.start();
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }

  /** A fresh copy each time: callers change records before committing them. */
  model(id: string): ModelRecord | undefined {
    const json = this.cache.get(`${REGISTRY_TABLE}${id}`);
    return json === undefined ? undefined : modelRecordFromJson(json);
  }

  models(): Map<string, ModelRecord> {
    const all = new Map<string, ModelRecord>();
    for (const [id, json] of this.cache.all(REGISTRY_TABLE)) all.set(id, modelRecordFromJson(json));
    return all;
  }

  /** Every model record for a scan that changes nothing: shared, converted once per version, not copied. */
  *scanModels(): IterableIterator<[string, ReadonlyModelRecord]> {
    for (const [id, json] of this.cache.peekAll(REGISTRY_TABLE))
      yield [id, this.converted(json, modelRecordFromJson)];
  }

  /** Every vmodel record for a scan that changes nothing, like `scanModels`. */
  *scanVModels(): IterableIterator<[string, Readonly<VModelRecord>]> {
    for (const [id, json] of this.cache.peekAll(VMODELS_TABLE))
      yield [id, this.converted(json, vmodelRecordFromJson)];
  }

  /** The cached model record for readers only, like `readModel` without the strong read: shared, not a copy. */
  cachedModel(id: string): ReadonlyModelRecord | undefined {
    const json = this.cache.peek(`${REGISTRY_TABLE}${id}`);
    return json === undefined ? undefined : this.converted(json, modelRecordFromJson);
  }

  /** The cached vmodel record for readers only, like `cachedModel`. */
  cachedVModel(id: string): Readonly<VModelRecord> | undefined {
    const json = this.cache.peek(`${VMODELS_TABLE}${id}`);
    return json === undefined ? undefined : this.converted(json, vmodelRecordFromJson);
  }

  vmodel(id: string): VModelRecord | undefined {
    const json = this.cache.get(`${VMODELS_TABLE}${id}`);
    return json === undefined ? undefined : vmodelRecordFromJson(json);
  }

  /** Like `vmodel`, reading etcd when the cache does not hold it (model-mesh's strong read if absent). */
  async vmodelStrong(id: string): Promise<VModelRecord | undefined> {
    const json = await this.cache.getOrReadIfAbsent(`${VMODELS_TABLE}${id}`);
    return json === undefined ? undefined : vmodelRecordFromJson(json);
  }

  async modelStrong(id: string): Promise<ModelRecord | undefined> {
    const json = await this.cache.getOrReadIfAbsent(`${REGISTRY_TABLE}${id}`);
    return json === undefined ? undefined : modelRecordFromJson(json);
  }

  /**
   * `modelStrong` for readers only, as the inference path reads on every request: the record converted once per
   * version and shared, so it must not be changed.
   */
  async readModel(id: string): Promise<ReadonlyModelRecord | undefined> {
    const json = await this.cache.peekOrReadIfAbsent(`${REGISTRY_TABLE}${id}`);
    return json === undefined ? undefined : this.converted(json, modelRecordFromJson);
  }

  /** `vmodelStrong` for readers only, like `readModel`. */
  async readVModel(id: string): Promise<Readonly<VModelRecord> | undefined> {
    const json = await this.cache.peekOrReadIfAbsent(`${VMODELS_TABLE}${id}`);
    return json === undefined ? undefined : this.converted(json, vmodelRecordFromJson);
  }

  vmodels(): Map<string, VModelRecord> {
    const all = new Map<string, VModelRecord>();
    for (const [id, json] of this.cache.all(VMODELS_TABLE)) all.set(id, vmodelRecordFromJson(json));
    return all;
  }

  /**
   * Stages `ops` (reads see them at once) and sends them to etcd as one transaction, in their order, without
   * waiting: model-mesh's instances write the registry concurrently, so one slow round trip must not hold up every
   * other change. The transaction waits for the earlier ones still on their way that write one of its keys, and
   * for the previous commit since the last `written()`, so that each key's writes, and one section's commits,
   * reach etcd in the order they were made. A transaction that cannot follow a refused one is refused too.
   * Settles once etcd has the change; a section need not wait for it (its caller hears back after `written()`).
   */
  commit(ops: readonly RegistryOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    const writes = ops.map((op) => {
      if ("delete" in op) return { key: `${TABLE[op.delete]}${op.id}`, value: undefined };
      const json = op.put === "model" ? modelRecordJson(op.record) : vmodelRecordJson(op.record);
      return { key: `${TABLE[op.put]}${op.id}`, value: serializeRecord(json) };
    });
    const staged = writes.map(({ key, value }) =>
      this.cache.stage(key, value === undefined ? undefined : parseRecord(value)),
    );
    const after = new Set<Promise<void>>(this.sinceWritten.slice(-1));
    for (const { key } of writes) {
      const earlier = this.lastWriteOf.get(key);
      if (earlier !== undefined) after.add(earlier);
    }
    const done = Promise.all(after)
      .then(() => this.transaction(writes))
      .then(
        (revision) => {
          for (const write of staged) this.cache.committed(write, revision);
        },
        (error: unknown) => {
          for (const write of staged) this.cache.unstage(write);
          throw error;
        },
      );
    const forget = () => {
      for (const { key } of writes) if (this.lastWriteOf.get(key) === done) this.lastWriteOf.delete(key);
    };
    done.then(forget, forget);
    for (const { key } of writes) this.lastWriteOf.set(key, done);
    this.sinceWritten.push(done);
    return done;
  }

  /** Settles once the commits made since the last call are in etcd; rejects with the first that is not. */
  written(): Promise<void> {
    const commits = this.sinceWritten;
    this.sinceWritten = [];
    return Promise.all(commits).then(() => undefined);
  }

  private async transaction(
    writes: ReadonlyArray<{ key: string; value: string | undefined }>,
  ): Promise<bigint> {
    const etcdOps = writes.map(({ key, value }) =>
      value === undefined
        ? this.etcd.delete().key(`${this.servicePrefix}/${key}`)
        : this.etcd.put(`${this.servicePrefix}/${key}`).value(value),
    );
    // A compare that always holds turns the operations into one transaction.
    const response = await this.etcd
      .if(`${this.servicePrefix}/${VMODELS_TABLE}`, "Mod", ">", -1)
      .then(...etcdOps)
      .commit();
    return BigInt(response.header.revision);
  }

  private converted<T extends ModelRecord | VModelRecord>(
    json: Readonly<JsonRecord>,
    convert: (json: JsonRecord) => T,
  ): T {
    const known = this.conversions.get(json);
    if (known !== undefined) return known as T;
    const record = convert(json as JsonRecord);
    this.conversions.set(json, record);
    return record;
  }
}
