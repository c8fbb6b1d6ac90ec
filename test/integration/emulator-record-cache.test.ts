import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createLogger } from "../../src/controller-runtime/logging.js";
import { RecordCache } from "../support/emulator/record-cache.js";

const prefix = `record-cache-test/${Math.random().toString(36).slice(2, 8)}/`;

describe("the emulator's registry cache", () => {
  let etcd: Etcd3;

  beforeAll(() => {
    etcd = new Etcd3({ hosts: inject("etcdEndpoint") });
  });

  afterAll(async () => {
    await etcd?.delete().prefix(prefix);
    etcd?.close();
  });

  it("reads a record its watch has not brought in yet from etcd, as model-mesh does", async () => {
    const cache = new RecordCache(etcd, prefix, createLogger("test.RecordCache"));
    await cache.start();
    // Without its watch the cache cannot hear of the record: only the strong read can find it.
    await cache.stop();
    await etcd.put(`${prefix}vmodels/planted`).value(JSON.stringify({ o: "isvc", amid: "m", tmid: "m" }));

    expect(cache.get("vmodels/planted")).toBeUndefined();
    expect(await cache.getOrReadIfAbsent("vmodels/planted")).toEqual({ o: "isvc", amid: "m", tmid: "m" });
    // Now known to the cache; an absent key stays absent.
    expect(cache.get("vmodels/planted")).toEqual({ o: "isvc", amid: "m", tmid: "m" });
    expect(await cache.getOrReadIfAbsent("vmodels/never-written")).toBeUndefined();
  });

  it("reads a record again that it last saw deleted", async () => {
    const cache = new RecordCache(etcd, prefix, createLogger("test.RecordCache"));
    await etcd.put(`${prefix}vmodels/replanted`).value(JSON.stringify({ o: "isvc", amid: "a" }));
    await cache.start();
    await etcd.delete().key(`${prefix}vmodels/replanted`);
    await vi.waitFor(() => expect(cache.get("vmodels/replanted")).toBeUndefined());
    await cache.stop();
    await etcd.put(`${prefix}vmodels/replanted`).value(JSON.stringify({ o: "isvc", amid: "b" }));
    expect(await cache.getOrReadIfAbsent("vmodels/replanted")).toEqual({ o: "isvc", amid: "b" });
  });
});
