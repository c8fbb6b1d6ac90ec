import { randomUUID } from "node:crypto";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLogger } from "../../src/controller-runtime/logging.js";
import { type RangeEvent, RangeWatcher } from "../../src/modelmesh-client/registry/range-watcher.js";
import { type ModelEventKey, RegistryWatcher } from "../../src/modelmesh-client/registry/registry-watcher.js";
import { startTcpProxy, type TcpProxy } from "../support/emulator/tcp-proxy.js";
import { EtcdProcess } from "../support/etcd/etcd-process.js";

function collector() {
  const events: ModelEventKey[] = [];
  const keys = () => events.map((e) => `${e.source}/${e.namespace}/${e.name}`);
  return { events, keys, onEvent: (e: ModelEventKey) => events.push(e), clear: () => events.splice(0) };
}

describe("registry watcher on a real etcd", () => {
  let etcd: Etcd3;
  const prefix = `mesh-test-${randomUUID()}/mm/modelmesh-serving`;
  beforeAll(() => {
    etcd = new Etcd3({ hosts: inject("etcdEndpoint") });
  });
  afterAll(async () => {
    await etcd.delete().prefix(prefix.split("/")[0] ?? prefix);
    etcd.close();
  });

  it("reports every key at start, then changes, mapped to reconcile keys", async () => {
    await etcd.put(`${prefix}/vmodels/iris`).value('{"o":"isvc","amid":"iris__isvc-0123456789"}');
    await etcd
      .put(`${prefix}/vmodels/mnist`)
      .value('{"amid":"mnist__ksp-0123456789","lu":9223372036854775807}');
    await etcd.put(`${prefix}/vmodels/broken`).value("{not json");
    await etcd.put(`${prefix}/registry/iris__isvc-0123456789`).value('{"type":"mt:sklearn"}');
    await etcd.put(`${prefix}/registry/unrelated-model`).value("{}");
    await etcd.put(`${prefix}/instances/abc`).value('{"lruTime":9223372036854775807}');

    const seen = collector();
    const watcher = new RegistryWatcher({
      client: etcd,
      servicePrefix: prefix,
      namespace: "team",
      onEvent: seen.onEvent,
    });
    try {
      await expect
        .poll(() => seen.keys().sort())
        .toEqual(["isvc/team/iris", "isvc/team/iris", "ksp/team/mnist"]);

      seen.clear();
      await etcd.put(`${prefix}/registry/new-one__ksp-abcdefabcd`).value("{}");
      await etcd
        .put(`${prefix}/vmodels/iris`)
        .value('{"o":"isvc","amid":"iris__isvc-0123456789","tmid":"x"}');
      await etcd.delete().key(`${prefix}/registry/iris__isvc-0123456789`);
      await etcd.delete().key(`${prefix}/vmodels/mnist`);
      await etcd.put(`${prefix}/vmodels/broken`).value('{"o":7}');
      await etcd.put(`${prefix}/instances/abc`).value("{}");
      await expect.poll(() => seen.keys()).toEqual(["ksp/team/new-one", "isvc/team/iris", "ksp/team/mnist"]);
    } finally {
      await watcher.stop();
    }
  });
});

describe("range watcher without values", () => {
  it("reports updates with their values and deletes without, keeping only revisions", async () => {
    const etcd = new Etcd3({ hosts: inject("etcdEndpoint") });
    const prefix = `range-test-${randomUUID()}/`;
    const events: RangeEvent[] = [];
    await etcd.put(`${prefix}a`).value("one");
    const watcher = new RangeWatcher({
      client: etcd,
      prefix,
      keepValues: false,
      onEvent: (event) => events.push(event),
      log: createLogger("test.RangeWatcher"),
    });
    try {
      await expect.poll(() => events).toEqual([{ type: "update", key: "a", value: "one" }]);
      await etcd.put(`${prefix}a`).value("two");
      await etcd.delete().key(`${prefix}a`);
      await expect
        .poll(() => events.slice(1))
        .toEqual([
          { type: "update", key: "a", value: "two" },
          { type: "delete", key: "a", previousValue: undefined },
        ]);
    } finally {
      await watcher.stop();
      await etcd.delete().prefix(prefix);
      etcd.close();
    }
  });
});

describe("registry watcher across a compaction", () => {
  let etcdServer: EtcdProcess;
  let proxy: TcpProxy;
  let direct: Etcd3;
  beforeAll(async () => {
    etcdServer = await EtcdProcess.start();
    const url = new URL(etcdServer.endpoint);
    proxy = await startTcpProxy(url.hostname, Number(url.port));
    direct = new Etcd3({ hosts: etcdServer.endpoint });
  });
  afterAll(async () => {
    direct?.close();
    await proxy?.close();
    await etcdServer?.stop();
  });

  it("reads the range again after missing compacted history, reporting vanished vmodels", async () => {
    const prefix = "root/mm/modelmesh-serving";
    await direct.put(`${prefix}/vmodels/gone`).value('{"o":"isvc"}');
    await direct.put(`${prefix}/vmodels/stays`).value('{"o":"ksp"}');

    const viaProxy = new Etcd3({ hosts: `http://127.0.0.1:${proxy.port}` });
    const seen = collector();
    let resyncs = 0;
    const watcher = new RegistryWatcher({
      client: viaProxy,
      servicePrefix: prefix,
      namespace: "ns",
      onEvent: seen.onEvent,
      onResynced: () => resyncs++,
      minBackoffMs: 100,
    });
    try {
      await expect.poll(() => seen.keys().sort()).toEqual(["isvc/ns/gone", "ksp/ns/stays"]);
      // The first read is not a resync.
      expect(resyncs).toBe(0);
      seen.clear();

      proxy.cut();
      await direct.delete().key(`${prefix}/vmodels/gone`);
      await direct.put(`${prefix}/vmodels/created`).value('{"o":"isvc"}');
      const { header } = await direct.put("filler").value("x").exec();
      await direct.kv.compact({ revision: header.revision, physical: true });
      proxy.restore();

      await expect
        .poll(() => seen.keys().sort(), { timeout: 30_000, interval: 200 })
        .toEqual(["isvc/ns/created", "isvc/ns/gone"]);
      // The caller learns that etcd is back: whatever failed meanwhile can be tried again.
      expect(resyncs).toBeGreaterThanOrEqual(1);
    } finally {
      await watcher.stop();
      viaProxy.close();
    }
  });
});
