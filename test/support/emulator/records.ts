/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. model-mesh's etcd values as JSON, the way its Jackson
 * setup (kv-utils `JsonSerializer`) writes them: null, 0, false and empty values left out, members in the order
 * given, numbers parsed BigInt-safe. `registry-records.ts` gives the records their shape and member order.
 */
import { isRecord } from "../../../src/lib/is-record.js";
import {
  type LosslessJson,
  parseLosslessJson,
  stringifyLosslessJson,
} from "../../../src/lib/lossless-json.js";

export type JsonRecord = { [field: string]: LosslessJson };

export function parseRecord(text: string): JsonRecord | undefined {
  try {
    const value = parseLosslessJson(text);
    return isRecord(value) ? (value as JsonRecord) : undefined;
  } catch {
    return undefined;
  }
}

function isEmpty(value: LosslessJson | undefined): boolean {
  if (
    value === undefined ||
    value === null ||
    value === false ||
    value === 0 ||
    value === 0n ||
    value === ""
  ) {
    return true;
  }
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/** Serialises like model-mesh's Jackson setup: members with default values are omitted. */
export function serializeRecord(record: JsonRecord): string {
  const kept: JsonRecord = {};
  for (const [field, value] of Object.entries(record)) if (!isEmpty(value)) kept[field] = value;
  return stringifyLosslessJson(kept);
}
