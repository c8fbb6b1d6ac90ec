/**
 * The Secrets the controller reads, each through its own cache limited to one namespace and one name
 * (`metadata.name=<name>`), so the controller never lists or watches Secrets it has no use for (decision 0110).
 * Consumers declare which Secrets they want; the set is recomputed when the config or the served namespaces
 * change: a cache starts when its Secret becomes wanted and stops when it no longer is.
 */
import type { V1Secret } from "@kubernetes/client-node";
import { SECRETS } from "../../apis/resource-types.js";
import { type EventHandler, Informer, listWatchFor } from "../../controller-runtime/informer.js";
import { createLogger } from "../../controller-runtime/logging.js";
import type { Manager } from "../../controller-runtime/manager.js";
import type { ControllerContext } from "../context/context.js";

const log = createLogger("namedSecrets");

/** How long a read waits for a new cache's first list before the reconcile fails (and is retried). */
const SYNC_TIMEOUT_MS = 10_000;

export interface SecretRef {
  namespace: string;
  name: string;
}

type Wanted = () => Iterable<SecretRef>;

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

export class NamedSecrets {
  readonly #manager: Manager;
  readonly #wanted: Wanted[] = [];
  readonly #handlers: EventHandler<V1Secret>[] = [];
  readonly #informers = new Map<string, Informer<V1Secret>>();
  /** Caches stopped with their namespace: their last content tells what the controller left there. */
  readonly #stopped = new Map<string, Informer<V1Secret>>();
  #managerStarted = false;

  constructor(manager: Manager) {
    this.#manager = manager;
    manager.addRunnable({
      start: () => {
        this.#managerStarted = true;
      },
      stop: async () => {
        await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
      },
    });
  }

  /** Adds a consumer's wanted Secrets (re-evaluated on every `refresh`) and starts their caches. */
  want(wanted: Wanted): void {
    this.#wanted.push(wanted);
    this.refresh();
  }

  addEventHandler(handler: EventHandler<V1Secret>): void {
    this.#handlers.push(handler);
  }

  /** Starts the caches of newly wanted Secrets and stops those no longer wanted. */
  refresh(): void {
    const wanted = new Map<string, SecretRef>();
    for (const source of this.#wanted) {
      for (const ref of source()) {
        if (ref.name !== "") wanted.set(keyOf(ref.namespace, ref.name), ref);
      }
    }
    for (const [key, ref] of wanted) {
      if (this.#informers.has(key)) continue;
      this.#stopped.delete(key);
      this.#informers.set(key, this.#create(ref));
      log.debug({ namespace: ref.namespace, secret: ref.name }, "reading Secret");
    }
    for (const [key, informer] of this.#informers) {
      if (wanted.has(key)) continue;
      this.#informers.delete(key);
      this.#stopped.set(key, informer);
      void informer.stop();
      log.debug({ secret: key }, "no longer reading Secret");
    }
  }

  /** The cached Secret, waiting for its cache's first list; undefined if it is not wanted or does not exist. */
  async get(namespace: string, name: string): Promise<V1Secret | undefined> {
    const informer = this.#informers.get(keyOf(namespace, name));
    if (informer === undefined) return undefined;
    if (!informer.hasSynced() && !(await informer.waitForSync(SYNC_TIMEOUT_MS))) {
      throw new Error(`Secret ${namespace}/${name} could not be read (is it granted by name in the RBAC?)`);
    }
    return informer.store.getByName(name, namespace);
  }

  /** The cached Secret now, without waiting; for a Secret no longer wanted, its last cached state. */
  peek(namespace: string, name: string): V1Secret | undefined {
    const key = keyOf(namespace, name);
    const informer = this.#informers.get(key) ?? this.#stopped.get(key);
    return informer?.store.getByName(name, namespace);
  }

  /** Drops the last cached state of a Secret no longer wanted, once the controller has acted on it. */
  forget(namespace: string, name: string): void {
    this.#stopped.delete(keyOf(namespace, name));
  }

  #create(ref: SecretRef): Informer<V1Secret> {
    const request = { namespace: ref.namespace, fieldSelector: `metadata.name=${ref.name}` };
    // Before the manager starts, its caches are synced before any reconcile; later ones start at once.
    const informer = this.#managerStarted
      ? new Informer<V1Secret>({
          type: SECRETS,
          listWatcher: listWatchFor(this.#manager.client, SECRETS),
          ...request,
        })
      : this.#manager.informer<V1Secret>(SECRETS, request);
    informer.addEventHandler({
      onAdd: (secret, initial) => this.#emit((handler) => handler.onAdd?.(secret, initial)),
      onUpdate: (before, after) => this.#emit((handler) => handler.onUpdate?.(before, after)),
      onDelete: (secret) => this.#emit((handler) => handler.onDelete?.(secret)),
    });
    if (this.#managerStarted) informer.start();
    return informer;
  }

  #emit(call: (handler: EventHandler<V1Secret>) => void): void {
    for (const handler of this.#handlers) {
      try {
        call(handler);
      } catch (error) {
        // One consumer's faulty handler must not keep the others from hearing of the change.
        log.error({ err: error }, "Secret event handler threw");
      }
    }
  }
}

const shared = new WeakMap<Manager, NamedSecrets>();

/** The one set of Secret caches of this process; refreshed when the config or the served namespaces change. */
export function namedSecrets(
  ctx: Pick<ControllerContext, "manager" | "config" | "servedNamespaces">,
): NamedSecrets {
  let secrets = shared.get(ctx.manager);
  if (secrets === undefined) {
    const created = new NamedSecrets(ctx.manager);
    secrets = created;
    shared.set(ctx.manager, created);
    ctx.config.onChange(() => created.refresh());
    ctx.servedNamespaces.onChange(() => created.refresh());
  }
  return secrets;
}
