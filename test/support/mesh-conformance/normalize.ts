/**
 * TEST INFRASTRUCTURE — the recordings' normalization, applied to what the emulator answers and writes so the two
 * can be compared: the instance id becomes `<instance>`, every epoch-millisecond value becomes `"<ts>"` (its value
 * kept aside by path, in the recordings' path format), enums are written by name and unset messages as `null`, as
 * the recorder decoded them. Texts that differ on purpose (a failure the emulator words differently) are replaced
 * by the same token on both sides.
 */
import {
  ModelStatusInfo_ModelStatus as ModelStatus,
  type ModelStatusInfo,
  VModelStatusInfo_VModelStatus as VModelStatus,
  type VModelStatusInfo,
} from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import type { MeshMethodName, MeshReply } from "../emulator/mesh-caller.js";
import type { RecordedOutcome } from "./recording.js";

export interface Normalization {
  /** The emulator's instance id. */
  readonly instanceId: string;
  /** Texts written as a token on both sides. */
  readonly texts: ReadonlyArray<readonly [text: string, token: string]>;
}

export interface Normalized<T> {
  readonly value: T;
  /** Epoch-millisecond values by path, e.g. `activeModelStatus.modelCopyInfos[0].time` or `lu`. */
  readonly timestamps: Record<string, number>;
}

export function normalizeText(n: Normalization, text: string): string {
  let result = n.instanceId === "" ? text : text.replaceAll(n.instanceId, "<instance>");
  for (const [from, token] of n.texts) result = result.replaceAll(from, token);
  return result;
}

type Path = ReadonlyArray<string | number>;

function pathText(path: Path): string {
  return path.reduce<string>(
    (text, part) => (typeof part === "number" ? `${text}[${part}]` : text === "" ? part : `${text}.${part}`),
    "",
  );
}

/** A copy of `value` with instance ids, texts and the timestamps `isTimestamp` picks normalized. */
function normalizeJson(
  n: Normalization,
  value: unknown,
  isTimestamp: (path: Path) => boolean,
  timestamps: Record<string, number>,
  path: Path = [],
): unknown {
  if (isTimestamp(path) && (typeof value === "number" || typeof value === "bigint")) {
    timestamps[pathText(path.map((p) => (typeof p === "string" ? normalizeText(n, p) : p)))] = Number(value);
    return "<ts>";
  }
  if (typeof value === "string") return normalizeText(n, value);
  if (Array.isArray(value))
    return value.map((item, i) => normalizeJson(n, item, isTimestamp, timestamps, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, member]) => [
        normalizeText(n, key),
        normalizeJson(n, member, isTimestamp, timestamps, [...path, key]),
      ]),
    );
  }
  return value;
}

function modelStatusJson(status: ModelStatusInfo | undefined): unknown {
  if (status === undefined) return null;
  return {
    errors: [...status.errors],
    modelCopyInfos: status.modelCopyInfos.map((copy) => ({
      location: copy.location,
      copyStatus: ModelStatus[copy.copyStatus],
      time: copy.time,
    })),
    status: ModelStatus[status.status],
  };
}

function vmodelStatusJson(status: VModelStatusInfo): unknown {
  return {
    status: VModelStatus[status.status],
    activeModelId: status.activeModelId,
    targetModelId: status.targetModelId,
    activeModelStatus: modelStatusJson(status.activeModelStatus),
    targetModelStatus: modelStatusJson(status.targetModelStatus),
    owner: status.owner,
  };
}

const isCopyTime = (path: Path) => path.at(-1) === "time";

/** An emulator reply as the recorder wrote a model-mesh reply. */
export function replayedOutcome(
  n: Normalization,
  method: MeshMethodName,
  reply: MeshReply,
): Normalized<RecordedOutcome> {
  if (!reply.ok)
    return { value: { error: reply.codeName, details: normalizeText(n, reply.details) }, timestamps: {} };
  let json: unknown = {};
  if (method === "setVModel" || method === "getVModelStatus")
    json = vmodelStatusJson(reply.response as VModelStatusInfo);
  else if (method === "registerModel" || method === "getModelStatus" || method === "ensureLoaded")
    json = modelStatusJson(reply.response as ModelStatusInfo);
  const timestamps: Record<string, number> = {};
  return { value: { answer: normalizeJson(n, json, isCopyTime, timestamps) }, timestamps };
}

/** A recorded outcome with the same text tokens. */
export function recordedOutcome(n: Normalization, outcome: RecordedOutcome): RecordedOutcome {
  return normalizeJson({ ...n, instanceId: "" }, outcome, () => false, {}) as RecordedOutcome;
}

const isRecordTime = (path: Path) =>
  (path.length === 1 && path[0] === "lu") ||
  (path.length === 2 && (path[0] === "instanceIds" || path[0] === "failedIn"));

/** One etcd write as `put <key> <value>` / `delete <key>`, normalized. */
export function writeOp(
  n: Normalization,
  type: "put" | "delete",
  key: string,
  value: unknown,
): Normalized<string> {
  const timestamps: Record<string, number> = {};
  if (type === "delete") return { value: `delete ${normalizeText(n, key)}`, timestamps };
  const json = normalizeJson(n, value, isRecordTime, timestamps);
  return { value: `put ${normalizeText(n, key)} ${JSON.stringify(json)}`, timestamps };
}
