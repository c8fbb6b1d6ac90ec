/**
 * Whether a server-side apply of a rendered object would change the live one, decided from the cache alone, so
 * that a restarted or newly elected controller re-applies nothing that is already as it wants (decision 0170);
 * and the apply that is sent only then.
 * An apply changes nothing when every value it sets is already live and every field the controller's field
 * manager owns is still in the rendering (a missing one would be removed). Any doubt counts as a change.
 */

import type { KubernetesObject, V1ManagedFieldsEntry } from "@kubernetes/client-node";
import type { ResourceType } from "../apis/resource-types.js";
import { isRecord } from "../lib/is-record.js";
import { applyOwned, FIELD_MANAGER, semanticEqual } from "./apply.js";
import type { KubeClient } from "./kube-client.js";

type Fields = { [path: string]: Fields };

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0);
}

/** The first path where `live` lacks a value `desired` sets (defaults only `live` has do not matter). */
export function missingValue(live: unknown, desired: unknown, at = ""): string | undefined {
  if (desired === undefined) return undefined;
  // The API server drops empty lists and maps.
  if (isEmpty(desired) && live === undefined) return undefined;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return at;
    for (const [i, item] of desired.entries()) {
      const missing = missingValue(live[i], item, `${at}[${i}]`);
      if (missing !== undefined) return missing;
    }
    return undefined;
  }
  if (isRecord(desired)) {
    if (!isRecord(live)) return at;
    for (const [key, value] of Object.entries(desired)) {
      const missing = missingValue(live[key], value, `${at}.${key}`);
      if (missing !== undefined) return missing;
    }
    return undefined;
  }
  return live === desired ? undefined : at;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The first path of a managed field set (`fieldsV1`) that `value` does not have. */
export function uncoveredField(fields: Fields, value: unknown, at = ""): string | undefined {
  for (const [path, children] of Object.entries(fields)) {
    if (path === ".") continue;
    const kind = path.slice(0, 2);
    const rest = path.slice(2);
    let next: unknown;
    if (kind === "f:") {
      next = isRecord(value) ? value[rest] : undefined;
    } else if (kind === "k:") {
      const key = parseJson(rest);
      next =
        Array.isArray(value) && isRecord(key)
          ? value.find(
              (item) =>
                isRecord(item) &&
                Object.entries(key).every(([name, want]) => semanticEqual(item[name], want)),
            )
          : undefined;
    } else if (kind === "v:") {
      const wanted = parseJson(rest);
      next = Array.isArray(value) ? value.find((item) => semanticEqual(item, wanted)) : undefined;
    } else if (kind === "i:") {
      next = Array.isArray(value) ? value[Number(rest)] : undefined;
    }
    if (next === undefined) return `${at}/${path}`;
    const uncovered = uncoveredField(children, next, `${at}/${path}`);
    if (uncovered !== undefined) return uncovered;
  }
  return undefined;
}

/** The controller's own apply entry: what the last apply under `FIELD_MANAGER` set. */
export function ownApplyEntry(object: KubernetesObject): V1ManagedFieldsEntry | undefined {
  return object.metadata?.managedFields?.find(
    (entry) => entry.manager === FIELD_MANAGER && entry.operation === "Apply" && !entry.subresource,
  );
}

/** Why applying `desired` would change `live`, or undefined when it is known to leave it as it is. */
export function whatApplyWouldChange(
  desired: KubernetesObject,
  live: KubernetesObject | undefined,
): string | undefined {
  if (live === undefined) return "absent";
  const owned = ownApplyEntry(live)?.fieldsV1;
  if (!isRecord(owned)) return "not applied by the controller yet";
  const { apiVersion: _apiVersion, kind: _kind, ...content } = desired;
  const missing = missingValue(live, content);
  if (missing !== undefined) return `differs at ${missing}`;
  const uncovered = uncoveredField(owned as Fields, content);
  return uncovered === undefined ? undefined : `would remove ${uncovered}`;
}

/**
 * Applies `desired` (`applyOwned`) unless the cached `live` copy shows the apply would change nothing; `onApply`
 * hears why just before the request. Returns the object as it is afterwards (`live` when nothing was sent) and
 * the change, undefined when none.
 */
export async function applyIfChanged<T extends KubernetesObject>(
  client: KubeClient,
  type: ResourceType,
  desired: T,
  live: T | undefined,
  onApply?: (change: string) => void,
): Promise<{ readonly object: T; readonly change: string | undefined }> {
  const change = whatApplyWouldChange(desired, live);
  if (change === undefined && live !== undefined) return { object: live, change };
  onApply?.(change ?? "absent");
  return { object: await applyOwned(client, type, desired), change };
}
