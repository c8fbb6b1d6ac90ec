import type { KubernetesObject } from "@kubernetes/client-node";
import { CONFIG_MAPS } from "../../../src/apis/resource-types.js";
import type { ListWatcher } from "../../../src/controller-runtime/informer.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";

/** The annotation the manager fixture stamps on each ConfigMap it reconciles: the reconciling identity. */
export const RECONCILED_BY = "runtime-test/reconciled-by";

export function configMap(namespace: string, name: string, data: Record<string, string>, labels = {}) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace, name, labels }, data };
}

/**
 * Follows an informer's handlers into a map of key → resourceVersion, so a test can compare what the handlers
 * saw against a fresh list from the API server.
 */
export function handlerView() {
  const view = new Map<string, string | undefined>();
  const deleted = new Set<string>();
  const key = (o: { metadata?: { namespace?: string; name?: string } }) =>
    `${o.metadata?.namespace}/${o.metadata?.name}`;
  return {
    view,
    deleted,
    handler: {
      onAdd: (o: { metadata?: { namespace?: string; name?: string; resourceVersion?: string } }) =>
        view.set(key(o), o.metadata?.resourceVersion),
      onUpdate: (
        _: unknown,
        o: { metadata?: { namespace?: string; name?: string; resourceVersion?: string } },
      ) => view.set(key(o), o.metadata?.resourceVersion),
      onDelete: (o: { metadata?: { namespace?: string; name?: string } }) => {
        view.delete(key(o));
        deleted.add(key(o));
      },
    },
    /** Whether the handlers saw exactly `listed` (from `listedVersions`): every key at its resourceVersion. */
    matches: (listed: ReadonlyMap<string, string | undefined>) =>
      view.size === listed.size && [...listed].every(([k, version]) => view.get(k) === version),
  };
}

/** key → resourceVersion of every ConfigMap in the namespace, straight from the API server. */
export async function listedVersions(client: KubeClient, namespace: string) {
  const list = await client.list<{ metadata?: { name?: string; resourceVersion?: string } }>(CONFIG_MAPS, {
    namespace,
  });
  return new Map(
    list.items.map((item) => [`${namespace}/${item.metadata?.name}`, item.metadata?.resourceVersion]),
  );
}

/**
 * Wraps a real list/watch source so a test can cut the informer off the API server (as a network partition
 * would) while the server itself keeps running and changing.
 */
export function partitionable<T extends KubernetesObject>(inner: ListWatcher<T>) {
  let partitioned = false;
  const severs = new Set<() => void>();
  const refuse = () => new Error("simulated network partition");
  const listWatcher: ListWatcher<T> = {
    list: (options) => (partitioned ? Promise.reject(refuse()) : inner.list(options)),
    async watch(options, onEvent, signal) {
      if (partitioned) throw refuse();
      const local = new AbortController();
      const forward = () => local.abort();
      signal.addEventListener("abort", forward, { once: true });
      let severed = false;
      const sever = () => {
        severed = true;
        local.abort();
      };
      severs.add(sever);
      try {
        await inner.watch(options, onEvent, local.signal);
      } finally {
        severs.delete(sever);
        signal.removeEventListener("abort", forward);
      }
      if (severed) throw refuse();
    },
  };
  return {
    listWatcher,
    cut() {
      partitioned = true;
      for (const sever of severs) sever();
    },
    heal() {
      partitioned = false;
    },
  };
}
