import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLogger } from "../../src/controller-runtime/logging.js";
import { newModelRecord } from "../support/emulator/registry-records.js";
import { type RegistryOp, RegistryStore } from "../support/emulator/registry-store.js";

/** etcd's default `--max-txn-ops`: a transaction with more operations is refused. */
const ETCD_MAX_TXN_OPS = 128;

const prefix = `registry-store-test/${Math.random().toString(36).slice(2, 8)}`;

const model = (path: string): RegistryOp => ({
  put: "model",
  id: path,
  record: newModelRecord({ type: "sklearn", path, key: "" }, true, 1_000),
});

const modelWithPath = (id: string, path: string): RegistryOp => ({
  put: "model",
  id,
  record: newModelRecord({ type: "sklearn", path, key: "" }, true, 1_000),
});

describe("the emulator's registry store", () => {
  let etcd: Etcd3;
  let store: RegistryStore;

  beforeAll(async () => {
    etcd = new Etcd3({ hosts: inject("etcdEndpoint") });
    store = new RegistryStore(etcd, prefix, createLogger("test.RegistryStore"));
    await store.start();
  });

  afterAll(async () => {
    await store?.stop();
    await etcd?.delete().prefix(prefix);
    etcd?.close();
  });

  const stored = async (id: string) => {
    const value = await etcd.get(`${prefix}/registry/${id}`).string();
    return value === null ? undefined : (JSON.parse(value) as { mPath?: string });
  };

  it("shows a change to reads at once, and to its caller once etcd has it", async () => {
    store.commit([model("at-once")]);
    expect(store.model("at-once")?.mPath).toBe("at-once");
    await store.written();
    expect((await stored("at-once"))?.mPath).toBe("at-once");
  });

  it("sends each change as its own transaction, and keeps the order of each key's writes", async () => {
    const watcher = await etcd.watch().prefix(`${prefix}/registry/ordered-`).create();
    const seen: Array<{ key: string; revision: string; mPath: string }> = [];
    watcher.on("put", (kv) =>
      seen.push({
        key: kv.key.toString(),
        revision: kv.mod_revision,
        mPath: (JSON.parse(kv.value.toString()) as { mPath: string }).mPath,
      }),
    );
    try {
      for (let round = 0; round < 5; round++) {
        for (let key = 0; key < 10; key++) store.commit([modelWithPath(`ordered-${key}`, `v${round}`)]);
      }
      await store.written();
      await expect.poll(() => seen.length).toBe(50);
    } finally {
      await watcher.cancel();
    }
    expect(new Set(seen.map((write) => write.revision)).size).toBe(50);
    for (let key = 0; key < 10; key++) {
      const writes = seen.filter((write) => write.key.endsWith(`/ordered-${key}`));
      expect(writes.map((write) => write.mPath)).toEqual(["v0", "v1", "v2", "v3", "v4"]);
      expect(store.model(`ordered-${key}`)?.mPath).toBe("v4");
    }
  });

  it("takes back a change etcd refuses, and the changes made on top of it", async () => {
    store.commit([model("kept")]);
    await store.written();
    const tooMany = Array.from({ length: ETCD_MAX_TXN_OPS + 1 }, (_, i) => model(`refused-${i}`));
    store.commit([modelWithPath("kept", "refused"), ...tooMany]);
    store.commit([modelWithPath("kept", "on-top")]);
    expect(store.model("kept")?.mPath).toBe("on-top");
    await expect(store.written()).rejects.toThrow();
    expect(store.model("kept")?.mPath).toBe("kept");
    expect(store.model("refused-0")).toBeUndefined();
    expect((await stored("kept"))?.mPath).toBe("kept");
    expect(await stored("refused-0")).toBeUndefined();
  });
});
