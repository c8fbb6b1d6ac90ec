/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. model-mesh's two persistent records as typed values, and
 * their etcd layout: `registry/<modelId>` holds a ModelRecord, `vmodels/<vModelId>` a VModelRecord (see
 * docs/decisions/0043-modelmesh-emulator-scope.md). Members are written in the order the real model-mesh writes
 * them (`type, encKey, mPath, autoDel, instanceIds | failedIn, fails, refs, lu`; `o, amid, tmid, failed`), members
 * with default values are left out, and members this emulator does not know are kept on rewrite.
 */
import { isRecord } from "../../../src/lib/is-record.js";
import type { LosslessJson } from "../../../src/lib/lossless-json.js";
import type { JsonRecord } from "./records.js";

export interface ModelRecord {
  readonly type: string;
  /** The ModelInfo key (for modelmesh-serving, a JSON blob with the storage and model type). */
  readonly encKey: string;
  readonly mPath: string;
  autoDel: boolean;
  /** Copies, loaded or loading: instance id → the load's start (epoch ms). */
  readonly instanceIds: Map<string, number>;
  /** Failed loads: instance id → the failure's time, and its message. */
  readonly failedIn: Map<string, number>;
  readonly fails: Map<string, string>;
  /** How many vmodels refer to the model. */
  refs: number;
  /** Last used (epoch ms). */
  lu: number;
  readonly unknown: JsonRecord;
}

export interface VModelRecord {
  readonly owner: string;
  active: string;
  target: string;
  /** The target's load failed. */
  failed: boolean;
  readonly unknown: JsonRecord;
}

const MODEL_MEMBERS = [
  "type",
  "encKey",
  "mPath",
  "autoDel",
  "instanceIds",
  "failedIn",
  "fails",
  "refs",
  "lu",
];
const VMODEL_MEMBERS = ["o", "amid", "tmid", "failed"];

function text(json: JsonRecord, member: string): string {
  const value = json[member];
  return typeof value === "string" ? value : "";
}

function num(value: LosslessJson | undefined): number {
  return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : 0;
}

function object(json: JsonRecord, member: string): JsonRecord {
  const value = json[member];
  return isRecord(value) ? (value as JsonRecord) : {};
}

function unknownMembers(json: JsonRecord, known: readonly string[]): JsonRecord {
  return Object.fromEntries(Object.entries(json).filter(([member]) => !known.includes(member)));
}

export function newModelRecord(
  info: { type: string; path: string; key: string },
  autoDel: boolean,
  lu: number,
): ModelRecord {
  return {
    type: info.type,
    encKey: info.key,
    mPath: info.path,
    autoDel,
    instanceIds: new Map(),
    failedIn: new Map(),
    fails: new Map(),
    refs: 0,
    lu,
    unknown: {},
  };
}

export function modelRecordFromJson(json: JsonRecord): ModelRecord {
  const times = (member: string) =>
    new Map(Object.entries(object(json, member)).map(([instance, time]) => [instance, num(time)]));
  const fails = Object.entries(object(json, "fails")).map(([instance, failure]): [string, string] => {
    const msg = typeof failure === "object" && failure !== null && !Array.isArray(failure) ? failure.msg : "";
    return [instance, typeof msg === "string" ? msg : ""];
  });
  return {
    type: text(json, "type"),
    encKey: text(json, "encKey"),
    mPath: text(json, "mPath"),
    autoDel: json.autoDel === true,
    instanceIds: times("instanceIds"),
    failedIn: times("failedIn"),
    fails: new Map(fails),
    refs: num(json.refs),
    lu: num(json.lu),
    unknown: unknownMembers(json, MODEL_MEMBERS),
  };
}

/** The record as model-mesh stores it; `serializeRecord` then drops the members with default values. */
export function modelRecordJson(record: ModelRecord): JsonRecord {
  return {
    type: record.type,
    encKey: record.encKey,
    mPath: record.mPath,
    autoDel: record.autoDel,
    instanceIds: Object.fromEntries(record.instanceIds),
    failedIn: Object.fromEntries(record.failedIn),
    fails: Object.fromEntries([...record.fails].map(([instance, msg]) => [instance, { msg }])),
    refs: record.refs,
    lu: record.lu,
    ...record.unknown,
  };
}

export function vmodelRecordFromJson(json: JsonRecord): VModelRecord {
  return {
    owner: text(json, "o"),
    active: text(json, "amid"),
    target: text(json, "tmid") || text(json, "amid"),
    failed: json.failed === true,
    unknown: unknownMembers(json, VMODEL_MEMBERS),
  };
}

export function vmodelRecordJson(record: VModelRecord): JsonRecord {
  return {
    o: record.owner,
    amid: record.active,
    tmid: record.target,
    failed: record.failed,
    ...record.unknown,
  };
}

/** Whether a registration asks for this same model (model-mesh compares type, path and key). */
export function sameModel(record: ModelRecord, info: { type: string; path: string; key: string }): boolean {
  return record.type === info.type && record.mPath === info.path && record.encKey === info.key;
}
