/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. model-mesh's registry records as it stores them in etcd
 * (reference §4.9): short field names, null/0/false/empty values left out, unknown fields kept on rewrite, numbers
 * parsed BigInt-safe.
 */
import {
  type LosslessJson,
  parseLosslessJson,
  stringifyLosslessJson,
} from "../../../src/mesh/lossless-json.js";

export type JsonRecord = { [field: string]: LosslessJson };

export function parseRecord(text: string): JsonRecord | undefined {
  try {
    const value = parseLosslessJson(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
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

/**
 * The record with `order`'s members first, in that order (Jackson writes a class's properties in declaration
 * order, e.g. a ModelRecord as `type, encKey, mPath, autoDel, instanceIds, failedIn, fails, refs, lu`), then any
 * other members as they were.
 */
export function inMemberOrder(record: JsonRecord, order: readonly string[]): JsonRecord {
  const ordered: JsonRecord = {};
  for (const field of order) if (field in record) ordered[field] = record[field] ?? null;
  for (const [field, value] of Object.entries(record)) if (!(field in ordered)) ordered[field] = value;
  return ordered;
}

export function text(record: JsonRecord, field: string): string {
  const value = record[field];
  return typeof value === "string" ? value : "";
}

export function num(record: JsonRecord, field: string): number {
  const value = record[field];
  return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : 0;
}

/** A `{key: value}` member as a mutable map, created when absent. */
export function members(record: JsonRecord, field: string): { [key: string]: LosslessJson } {
  const value = record[field];
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  const created: { [key: string]: LosslessJson } = {};
  record[field] = created;
  return created;
}
