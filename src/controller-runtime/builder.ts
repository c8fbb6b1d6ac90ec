/**
 * Builds a controller as a list of what it watches, as controller-runtime's `builder` (For, Owns, Watches):
 * each source and how its events map to keys, then the controller is added to the manager.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  type ChangeSource,
  Controller,
  type ControllerOptions,
  type KeyMapper,
  type ObjectSource,
  type Reconciler,
  type WatchOptions,
} from "./controller.js";
import type { Manager } from "./manager.js";
import type { Priority } from "./workqueue.js";

/** A controller's names: `metrics` labels its metrics and work queue, `logger` names its logger. */
export interface ControllerNames {
  readonly metrics: string;
  readonly logger: string;
}

/** Maps an object to `<its namespace>/<its controller owner's name>` when that owner is of one of `kinds`. */
export function controllerOwnerKey(kinds: readonly string[]): KeyMapper<KubernetesObject> {
  return (object) => {
    const owner = object.metadata?.ownerReferences?.find((reference) => reference.controller === true);
    if (owner === undefined || !kinds.includes(owner.kind)) return [];
    return [`${object.metadata?.namespace ?? ""}/${owner.name}`];
  };
}

export class ControllerBuilder {
  readonly #manager: Manager;
  readonly #names: ControllerNames;
  readonly #watches: ((controller: Controller) => void)[] = [];
  readonly #seeds: string[] = [];
  #reconciler: Reconciler | undefined;
  #workers: number | undefined;

  constructor(manager: Manager, names: ControllerNames) {
    this.#manager = manager;
    this.#names = names;
  }

  reconciler(reconciler: Reconciler): this {
    this.#reconciler = reconciler;
    return this;
  }

  workers(workers: number | undefined): this {
    this.#workers = workers;
    return this;
  }

  /** The kind the controller reconciles: by default each object is its own key. */
  for<T extends KubernetesObject>(
    source: ObjectSource<T>,
    mapper?: KeyMapper<T>,
    options?: WatchOptions<T>,
  ): this {
    this.#watches.push((controller) => controller.watch(source, mapper, options));
    return this;
  }

  /** Another kind whose events concern the objects `mapper` names. */
  watches<T extends KubernetesObject>(
    source: ObjectSource<T>,
    mapper: KeyMapper<T>,
    options?: WatchOptions<T>,
  ): this {
    this.#watches.push((controller) => controller.watch(source, mapper, options));
    return this;
  }

  /** A source of changes that are not objects (config, served namespaces, demands, mesh events). */
  watchesChanges<C>(
    source: ChangeSource<C>,
    mapper: (change: C) => readonly string[],
    priority?: (change: C) => Priority,
  ): this {
    this.#watches.push((controller) => controller.watchChanges(source, mapper, priority));
    return this;
  }

  /** Keys to reconcile once at the start, whatever the sources report. */
  seed(...keys: string[]): this {
    this.#seeds.push(...keys);
    return this;
  }

  /** Creates the controller (`make` for a subclass), registers its watches in order, adds it to the manager. */
  build<C extends Controller = Controller>(make?: (options: ControllerOptions) => C): C {
    if (this.#reconciler === undefined)
      throw new Error(`controller ${this.#names.metrics} has no reconciler`);
    const options: ControllerOptions = {
      name: this.#names.metrics,
      loggerName: this.#names.logger,
      reconciler: this.#reconciler,
      workers: this.#workers,
      metrics: this.#manager.metrics,
    };
    const controller = make === undefined ? (new Controller(options) as C) : make(options);
    for (const watch of this.#watches) watch(controller);
    for (const key of this.#seeds) controller.enqueue(key);
    this.#manager.addController(controller);
    return controller;
  }
}

export function controllerFor(manager: Manager, names: ControllerNames): ControllerBuilder {
  return new ControllerBuilder(manager, names);
}
