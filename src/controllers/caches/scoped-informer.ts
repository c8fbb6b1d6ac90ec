/** The shared caches of the controllers, limited to the namespaces this process serves. */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ResourceType } from "../../apis/resource-types.js";
import type { Informer } from "../../controller-runtime/informer.js";
import type { InformerRequest } from "../../controller-runtime/manager.js";
import type { ControllerContext } from "../context/context.js";

/**
 * The namespace caches are limited to: the controller's own in namespace scope, every one in cluster scope.
 */
export function watchedNamespace(
  ctx: Pick<ControllerContext, "scope" | "controllerNamespace">,
): string | undefined {
  return ctx.scope === "namespace" ? ctx.controllerNamespace : undefined;
}

/**
 * The shared cache of a kind over the namespaces this process serves. Every controller asks through here, so
 * requests for the same kind land on one informer (the manager shares informers of identical requests).
 */
export function scopedInformer<T extends KubernetesObject>(
  ctx: Pick<ControllerContext, "manager" | "scope" | "controllerNamespace">,
  type: ResourceType,
  request: Omit<InformerRequest<T>, "namespace"> = {},
): Informer<T> {
  return ctx.manager.informer<T>(type, {
    ...request,
    namespace: type.namespaced ? watchedNamespace(ctx) : undefined,
  });
}
