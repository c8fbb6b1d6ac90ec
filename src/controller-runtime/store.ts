/** The in-memory objects of an informer, by key, with secondary indexes. */
import type { KubernetesObject } from "@kubernetes/client-node";

/** Values under which an object is found in an index (for example the runtime a model names). */
export type IndexFunc<T> = (object: T) => readonly string[];

/** The cache key of an object: `namespace/name`, or `name` for a cluster-scoped object. */
export function objectKey(object: KubernetesObject): string {
  const name = object.metadata?.name ?? "";
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits a cache key back into its namespace (empty for cluster scope) and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return slash < 0
    ? { namespace: "", name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export const NAMESPACE_INDEX = "namespace";

/** Indexes objects by their namespace; add it under `NAMESPACE_INDEX`. */
export function byNamespace(object: KubernetesObject): readonly string[] {
  return [object.metadata?.namespace ?? ""];
}

/** An in-memory map of objects by key, with secondary indexes kept in step on every change. */
export class Store<T extends KubernetesObject> {
  readonly #objects = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    for (const [name, indexFunc] of Object.entries(indexers)) this.addIndexer(name, indexFunc);
  }

  hasIndexer(name: string): boolean {
    return this.#indexers.has(name);
  }

  /** Adds an index, built at once over the objects already stored; a name can be declared only once. */
  addIndexer(name: string, indexFunc: IndexFunc<T>): void {
    if (this.#indexers.has(name)) throw new Error(`an indexer named "${name}" already exists`);
    this.#indexers.set(name, indexFunc);
    const index = new Map<string, Set<string>>();
    this.#indices.set(name, index);
    for (const [key, object] of this.#objects) addToIndex(index, indexFunc(object), key);
  }

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  getByName(name: string, namespace?: string): T | undefined {
    return this.#objects.get(namespace ? `${namespace}/${name}` : name);
  }

  has(key: string): boolean {
    return this.#objects.has(key);
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  get size(): number {
    return this.#objects.size;
  }

  /** Objects whose index function returned `value`; throws for an index that was never declared. */
  byIndex(indexName: string, value: string): T[] {
    const keys = this.#index(indexName).get(value);
    if (keys === undefined) return [];
    const objects: T[] = [];
    for (const key of keys) {
      const object = this.#objects.get(key);
      if (object !== undefined) objects.push(object);
    }
    return objects;
  }

  /** Stores the object and returns the one it replaced. */
  upsert(object: T): T | undefined {
    const key = objectKey(object);
    const old = this.#objects.get(key);
    if (old !== undefined) this.#unindex(key, old);
    this.#objects.set(key, object);
    this.#indexObject(key, object);
    return old;
  }

  /** Removes the object under `key` and returns it. */
  remove(key: string): T | undefined {
    const old = this.#objects.get(key);
    if (old === undefined) return undefined;
    this.#unindex(key, old);
    this.#objects.delete(key);
    return old;
  }

  #index(indexName: string): Map<string, Set<string>> {
    const index = this.#indices.get(indexName);
    if (index === undefined) throw new Error(`no indexer named "${indexName}" was declared for this store`);
    return index;
  }

  #indexObject(key: string, object: T): void {
    for (const [name, indexFunc] of this.#indexers) addToIndex(this.#index(name), indexFunc(object), key);
  }

  #unindex(key: string, object: T): void {
    for (const [name, indexFunc] of this.#indexers) {
      const index = this.#index(name);
      for (const value of indexFunc(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

function addToIndex(index: Map<string, Set<string>>, values: readonly string[], key: string): void {
  for (const value of values) {
    let keys = index.get(value);
    if (keys === undefined) {
      keys = new Set();
      index.set(value, keys);
    }
    keys.add(key);
  }
}
