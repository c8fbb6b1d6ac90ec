/**
 * The controller owner reference of a generated object, as controller-runtime's `SetControllerReference`
 * (sigs.k8s.io/controller-runtime/pkg/controller/controllerutil) writes it for upstream's reconcilers: the
 * object is garbage-collected with its owner, and a foreground deletion of the owner waits for it.
 */
import type { V1OwnerReference } from "@kubernetes/client-node";

export interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export function controllerReference(owner: Owner): V1OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
