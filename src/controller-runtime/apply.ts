/**
 * Server-side apply under the controller's one field manager, and the JSON equality and merge-patch diff it
 * relies on.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ResourceType } from "../apis/resource-types.js";
import { isRecord } from "../lib/is-record.js";
import type { KubeClient } from "./kube-client.js";

/** The one field manager under which the controller applies every object it owns. */
export const FIELD_MANAGER = "modelmesh-controller";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Equal as JSON: key order does not matter and a key holding `undefined` counts as absent. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => semanticEqual(item, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keysA = Object.keys(a).filter((key) => a[key] !== undefined);
    const keysB = Object.keys(b).filter((key) => b[key] !== undefined);
    if (keysA.length !== keysB.length) return false;
    return keysA.every((key) => semanticEqual(a[key], b[key]));
  }
  return false;
}

/**
 * The JSON merge patch (RFC 7386) that turns `from` into `to`: changed keys with their new value, removed keys
 * as `null`, nested objects recursively; arrays are replaced whole. `undefined` when nothing changed.
 */
export function mergePatchDiff(from: unknown, to: unknown): Json | undefined {
  if (semanticEqual(from, to)) return undefined;
  if (!isRecord(from) || !isRecord(to)) return (to ?? null) as Json;
  const patch: Record<string, Json> = {};
  for (const key of Object.keys(from)) {
    if (from[key] !== undefined && to[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const change = mergePatchDiff(from[key], value);
    if (change !== undefined) patch[key] = change;
  }
  return patch;
}

/**
 * Server-side apply under `FIELD_MANAGER`, forcing ownership: the controller is the authority on these
 * fields.
 */
export function applyOwned<T extends KubernetesObject>(
  client: KubeClient,
  type: ResourceType,
  object: T,
): Promise<T> {
  return client.apply(
    type,
    { ...object, apiVersion: type.apiVersion, kind: type.kind },
    {
      fieldManager: FIELD_MANAGER,
      force: true,
    },
  );
}
