import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_MAPS } from "../../src/apis/resource-types.js";
import { Informer, listWatchFor } from "../../src/controller-runtime/informer.js";
import { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../src/controller-runtime/metrics.js";
import { forEachBounded } from "../support/async/bounded-parallelism.js";
import { eventually } from "../support/async/eventually.js";
import { type ControlPlane, startControlPlane } from "../support/control-plane/index.js";
import { configMap, handlerView, listedVersions } from "../support/controller-runtime/support.js";
import { createNamespace } from "../support/kube/namespaces.js";

// This suite restarts kube-apiserver, so it runs its own control plane.
let plane: ControlPlane;
let client: KubeClient;

beforeAll(async () => {
  plane = await startControlPlane();
  client = new KubeClient(plane.kubeConfig, createMetricsRegistry().metrics);
});

afterAll(async () => {
  await plane?.stop();
});

describe("informer across a kube-apiserver restart", () => {
  it("resumes the broken watch and misses no create, update or delete", async () => {
    const namespace = await createNamespace(client, "runtime-restart");
    const names = Array.from({ length: 60 }, (_, i) => `before-${i}`);
    await forEachBounded(names, 8, (name) =>
      client.create(CONFIG_MAPS, configMap(namespace, name, { v: "1" })),
    );

    const informer = new Informer({
      type: CONFIG_MAPS,
      listWatcher: listWatchFor(
        new KubeClient(plane.kubeConfig, createMetricsRegistry().metrics),
        CONFIG_MAPS,
      ),
      namespace,
    });
    const { view, deleted, handler, matches } = handlerView();
    informer.addEventHandler(handler);
    informer.start();
    expect(await informer.waitForSync(30_000)).toBe(true);
    expect(view.size).toBe(60);

    await plane.restartApiServer();

    const added = Array.from({ length: 40 }, (_, i) => `after-${i}`);
    await forEachBounded(added, 8, (name) =>
      client.create(CONFIG_MAPS, configMap(namespace, name, { v: "1" })),
    );
    await forEachBounded(names.slice(0, 20), 8, (name) =>
      client.mergePatch(CONFIG_MAPS, { namespace, name }, { data: { v: "2" } }),
    );
    await forEachBounded(names.slice(20, 30), 8, (name) => client.delete(CONFIG_MAPS, name, namespace));

    const expected = await listedVersions(client, namespace);
    expect(expected.size).toBe(90);
    await eventually(
      () => matches(expected),
      "the handlers to have seen every change made around the restart",
      60_000,
    );
    await informer.stop();
    expect([...deleted].sort()).toEqual(
      names
        .slice(20, 30)
        .map((name) => `${namespace}/${name}`)
        .sort(),
    );
    expect(informer.store.size).toBe(90);
  });
});
