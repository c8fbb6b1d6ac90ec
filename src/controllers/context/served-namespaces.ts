/** Which namespaces ModelMesh serves (upstream's `modelMeshEnabled2`), followed live from the Namespace cache. */
import type { V1Namespace } from "@kubernetes/client-node";
import { NAMESPACES } from "../../apis/resource-types.js";
import { Broadcast } from "../../controller-runtime/broadcast.js";
import type { Informer } from "../../controller-runtime/informer.js";
import { createLogger } from "../../controller-runtime/logging.js";
import type { Manager } from "../../controller-runtime/manager.js";
import type { Scope, ServedChange, ServedNamespaces } from "./context.js";

const log = createLogger("servedNamespaces");

/** In cluster scope a namespace is served when it carries this label with the value `true`. */
export const MODELMESH_ENABLED_LABEL = "modelmesh-enabled";

/**
 * Cluster scope: labelled `modelmesh-enabled=true` and not Terminating; the controller namespace is served
 * without the label too, unless it is labelled otherwise. A namespace that does not exist is not served.
 */
export function isNamespaceServed(namespace: V1Namespace | undefined, controllerNamespace: string): boolean {
  if (namespace === undefined) return false;
  if (namespace.status?.phase === "Terminating" || namespace.metadata?.deletionTimestamp !== undefined)
    return false;
  const label = namespace.metadata?.labels?.[MODELMESH_ENABLED_LABEL];
  if (label === undefined) return namespace.metadata?.name === controllerNamespace;
  return label === "true";
}

/** Namespace scope: the controller namespace and nothing else; Namespaces are not watched at all. */
class OwnNamespaceOnly implements ServedNamespaces {
  readonly #namespace: string;
  constructor(namespace: string) {
    this.#namespace = namespace;
  }
  isServed(namespace: string): boolean {
    return namespace === this.#namespace;
  }
  list(): readonly string[] {
    return [this.#namespace];
  }
  onChange(): void {
    // The one served namespace never changes.
  }
}

/** Cluster scope: recomputed on every Namespace event; listeners hear only real transitions. */
class LabelledNamespaces implements ServedNamespaces {
  readonly #served = new Set<string>();
  readonly #listeners = new Broadcast<ServedChange>(log, "served-namespace", (change) => ({ ...change }));

  constructor(informer: Informer<V1Namespace>, controllerNamespace: string) {
    const update = (namespace: V1Namespace | undefined, name: string) => {
      const served = isNamespaceServed(namespace, controllerNamespace);
      if (served === this.#served.has(name)) return;
      if (served) this.#served.add(name);
      else this.#served.delete(name);
      log.info({ namespace: name, served }, served ? "namespace is served" : "namespace is no longer served");
      this.#listeners.emit({ namespace: name, served });
    };
    informer.addEventHandler({
      onAdd: (namespace) => update(namespace, namespace.metadata?.name ?? ""),
      onUpdate: (_, namespace) => update(namespace, namespace.metadata?.name ?? ""),
      onDelete: (namespace) => update(undefined, namespace.metadata?.name ?? ""),
    });
  }

  isServed(namespace: string): boolean {
    return this.#served.has(namespace);
  }

  list(): readonly string[] {
    return [...this.#served].sort();
  }

  onChange(listener: (change: ServedChange) => void): void {
    this.#listeners.onChange(listener);
  }
}

export function namespaceInformer(manager: Manager): Informer<V1Namespace> {
  return manager.informer<V1Namespace>(NAMESPACES);
}

export function createServedNamespaces(
  manager: Manager,
  scope: Scope,
  controllerNamespace: string,
): ServedNamespaces {
  if (scope === "namespace") return new OwnNamespaceOnly(controllerNamespace);
  return new LabelledNamespaces(namespaceInformer(manager), controllerNamespace);
}
