import type { KubernetesObject } from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_MAPS } from "../../src/apis/resource-types.js";
import { Informer, listWatchFor } from "../../src/controller-runtime/informer.js";
import { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../src/controller-runtime/metrics.js";
import { forEachBounded } from "../support/async/bounded-parallelism.js";
import { eventually } from "../support/async/eventually.js";
import { type ControlPlane, startControlPlane } from "../support/control-plane/index.js";
import {
  configMap,
  handlerView,
  listedVersions,
  partitionable,
} from "../support/controller-runtime/support.js";
import { createNamespace } from "../support/kube/namespaces.js";

// This suite compacts etcd; without the watch cache a watch from a compacted revision reaches etcd and fails
// with 410 Gone deterministically.
let plane: ControlPlane;
let client: KubeClient;
let etcd: Etcd3;

beforeAll(async () => {
  plane = await startControlPlane({ apiServerArgs: ["--watch-cache=false"] });
  client = new KubeClient(plane.kubeConfig, createMetricsRegistry().metrics);
  etcd = new Etcd3({ hosts: plane.etcdEndpoint });
});

afterAll(async () => {
  etcd?.close();
  await plane?.stop();
});

async function compactEtcd(): Promise<void> {
  const { header } = await etcd.kv.range({ key: Buffer.from("compaction-probe") });
  await etcd.kv.compact({ revision: header.revision, physical: true });
}

describe("informer after etcd compaction", () => {
  it("gets 410 Gone resuming from a compacted resourceVersion, relists and reports what changed", async () => {
    const namespace = await createNamespace(client, "runtime-compaction");
    const names = Array.from({ length: 20 }, (_, i) => `cm-${i}`);
    await forEachBounded(names, 8, (name) =>
      client.create(CONFIG_MAPS, configMap(namespace, name, { v: "1" })),
    );

    const link = partitionable(
      listWatchFor<KubernetesObject>(
        new KubeClient(plane.kubeConfig, createMetricsRegistry().metrics),
        CONFIG_MAPS,
      ),
    );
    const informer = new Informer({ type: CONFIG_MAPS, listWatcher: link.listWatcher, namespace });
    const { deleted, handler, matches } = handlerView();
    informer.addEventHandler(handler);
    informer.start();
    expect(await informer.waitForSync(30_000)).toBe(true);
    const versionBeforeCut = informer.resourceVersion;

    link.cut();
    const added = Array.from({ length: 10 }, (_, i) => `added-${i}`);
    await forEachBounded(added, 8, (name) =>
      client.create(CONFIG_MAPS, configMap(namespace, name, { v: "1" })),
    );
    await forEachBounded(names.slice(0, 5), 5, (name) =>
      client.mergePatch(CONFIG_MAPS, { namespace, name }, { data: { v: "2" } }),
    );
    await forEachBounded(names.slice(5, 10), 5, (name) => client.delete(CONFIG_MAPS, name, namespace));
    await compactEtcd();
    expect(informer.listCount).toBe(1);
    link.heal();

    const expected = await listedVersions(client, namespace);
    expect(expected.size).toBe(25);
    await eventually(() => matches(expected), "the handlers to have caught up through a relist", 60_000);
    await informer.stop();
    expect(informer.listCount).toBe(2);
    expect(Number(informer.resourceVersion)).toBeGreaterThan(Number(versionBeforeCut));
    expect([...deleted].sort()).toEqual(
      names
        .slice(5, 10)
        .map((name) => `${namespace}/${name}`)
        .sort(),
    );
  });
});
