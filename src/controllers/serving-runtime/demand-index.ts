/**
 * The distinct demands of each namespace's models, with how many models ask each. A runtime's Deployment depends
 * only on this set (any model it serves → in use; the PVCs they read), so a runtime needs a reconcile only when a
 * demand appears in or leaves its namespace, not on every one of thousands of model events.
 */
import type { ModelDemand } from "../../builders/model-type-labels.js";
import { Broadcast } from "../../controller-runtime/broadcast.js";
import { createLogger } from "../../controller-runtime/logging.js";
import { CONTROLLER_NAMES } from "../names.js";

const log = createLogger(`${CONTROLLER_NAMES.servingRuntime.logger}.demands`);

/** Reported when the first model asks `demand` in `namespace`, or the last one stops asking it. */
export interface DemandChange {
  readonly namespace: string;
  readonly demand: ModelDemand;
  /** The first model asking it came with its informer's first list. */
  readonly inInitialList: boolean;
}

const demandKey = (demand: ModelDemand) =>
  JSON.stringify([demand.typeLabel ?? null, demand.pvcClaim ?? null]);

export class DemandIndex {
  readonly #byNamespace = new Map<string, Map<string, { demand: ModelDemand; count: number }>>();
  /** What each model was counted for, so a change or a delete takes back exactly that. */
  readonly #counted = new Map<string, { namespace: string; demand: ModelDemand }>();
  readonly #listeners = new Broadcast<DemandChange>(log, "model demand", ({ namespace }) => ({ namespace }));

  onChange(listener: (change: DemandChange) => void): void {
    this.#listeners.onChange(listener);
  }

  /** Sets what model `id` asks now (`undefined`: nothing — gone, deleting, or not a ModelMesh model). */
  set(id: string, namespace: string, demand: ModelDemand | undefined, inInitialList = false): void {
    const before = this.#counted.get(id);
    if (before !== undefined && demand !== undefined && before.namespace === namespace) {
      if (demandKey(before.demand) === demandKey(demand)) return;
    }
    if (before !== undefined) {
      this.#counted.delete(id);
      this.#release(before.namespace, before.demand);
    }
    if (demand !== undefined) {
      this.#counted.set(id, { namespace, demand });
      this.#take(namespace, demand, inInitialList);
    }
  }

  /** The distinct demands of a namespace. */
  of(namespace: string): ModelDemand[] {
    return [...(this.#byNamespace.get(namespace)?.values() ?? [])].map((entry) => entry.demand);
  }

  #take(namespace: string, demand: ModelDemand, inInitialList: boolean): void {
    let counts = this.#byNamespace.get(namespace);
    if (counts === undefined) {
      counts = new Map();
      this.#byNamespace.set(namespace, counts);
    }
    const key = demandKey(demand);
    const entry = counts.get(key);
    if (entry !== undefined) {
      entry.count++;
      return;
    }
    counts.set(key, { demand, count: 1 });
    this.#listeners.emit({ namespace, demand, inInitialList });
  }

  #release(namespace: string, demand: ModelDemand): void {
    const counts = this.#byNamespace.get(namespace);
    const key = demandKey(demand);
    const entry = counts?.get(key);
    if (counts === undefined || entry === undefined) return;
    if (--entry.count > 0) return;
    counts.delete(key);
    if (counts.size === 0) this.#byNamespace.delete(namespace);
    this.#listeners.emit({ namespace, demand, inInitialList: false });
  }
}
