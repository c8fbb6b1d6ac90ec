/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. vmodels refer to models: a model's `refs` counts them,
 * `unregisterModel` refuses a model with referents, and a model registered with `autoDel` goes away with its last
 * reference.
 */
import type { ModelRecord } from "./registry-records.js";
import type { RegistryOp } from "./registry-store.js";

/** The write that drops one reference to the model: its record with `refs - 1`, or its deletion. */
export function dropReference(id: string, record: ModelRecord | undefined): RegistryOp[] {
  if (record === undefined) return [];
  record.refs = Math.max(0, record.refs - 1);
  if (record.refs === 0 && record.autoDel) return [{ delete: "model", id }];
  return [{ put: "model", id, record }];
}
