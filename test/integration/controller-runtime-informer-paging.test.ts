import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { CONFIG_MAPS } from "../../src/apis/resource-types.js";
import { Informer, listWatchFor } from "../../src/controller-runtime/informer.js";
import { forEachBounded } from "../support/async/bounded-parallelism.js";
import { configMap } from "../support/controller-runtime/support.js";
import { suiteNamespace } from "../support/kube/namespaces.js";

const { client, namespace } = suiteNamespace("runtime-paging");

describe("an informer over objects that exist before it starts", () => {
  it("follows the API server's continue tokens and caches every page of the initial list", async () => {
    const names = Array.from({ length: 130 }, (_, i) => `existing-${i}`);
    await forEachBounded(names, 16, (name) => client.create(CONFIG_MAPS, configMap(namespace, name, {})));
    const added: string[] = [];
    const informer = new Informer<KubernetesObject>({
      type: CONFIG_MAPS,
      listWatcher: listWatchFor(client, CONFIG_MAPS),
      namespace,
      pageSize: 50,
    });
    informer.addEventHandler({ onAdd: (object) => added.push(object.metadata?.name ?? "") });
    informer.start();
    try {
      expect(await informer.waitForSync(30_000)).toBe(true);
      expect(informer.store.size).toBe(names.length);
      expect(added.sort()).toEqual([...names].sort());
    } finally {
      await informer.stop();
    }
  });
});
