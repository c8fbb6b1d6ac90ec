/**
 * TEST INFRASTRUCTURE — the recordings of the real model-mesh (test/fixtures/model-mesh-observed) read as what a
 * replay needs: the `mmesh.ModelMesh` calls with their recorded outcome, the registry and vmodel writes grouped by
 * transaction, and (S8) when model-mesh was killed and when it was ready again. Left out, and said so: KServe v2
 * inference calls (the emulator serves no inference) and calls that failed in the client while nothing listened.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../control-plane/index.js";
import type { MeshMethodName } from "../emulator/mesh-caller.js";

export const RECORDINGS_DIR = path.join(REPO_ROOT, "test/fixtures/model-mesh-observed");

/** The recorder's key prefix up to the service: `<root_prefix>/mm/<service>/`. */
const SERVICE_KEY = "/mm/modelmesh-serving/";

export type RecordedOutcome =
  | { readonly answer: unknown }
  | { readonly error: string; readonly details: string };

export interface RecordedCall {
  readonly id: number;
  /** Send time on the scenario's axis. */
  readonly t: number;
  /** When the answer (or error) arrived. */
  readonly end: number;
  readonly method: MeshMethodName;
  readonly request: Record<string, unknown>;
  readonly phase: string;
  readonly latencyMs: number;
  readonly outcome: RecordedOutcome;
  /** Epoch-millisecond values of the answer, as instants on the scenario's axis, by path. */
  readonly timestamps: Readonly<Record<string, number>>;
}

export interface RecordedWrite {
  readonly rev: number;
  readonly type: "put" | "delete";
  /** After `<root>/mm/<service>/`: `registry/<id>` or `vmodels/<id>`. */
  readonly key: string;
  readonly value?: unknown;
  readonly timestamps: Readonly<Record<string, number>>;
}

export interface Recording {
  readonly scenario: string;
  readonly end: number;
  readonly calls: readonly RecordedCall[];
  /** registry/ and vmodels/ writes only (the emulator writes no instances/, leaderLatch/ or litelinks/ keys). */
  readonly writes: readonly RecordedWrite[];
  /** S8: model-mesh killed at `kill`, ready again at `ready`. */
  readonly restart?: { readonly kill: number; readonly ready: number };
  /** What the replay leaves out, one line each. */
  readonly left: readonly string[];
}

type Line = Record<string, unknown> & { t_ms: number; kind: string };

const MESH_METHODS = new Set<string>([
  "registerModel",
  "unregisterModel",
  "getModelStatus",
  "ensureLoaded",
  "setVModel",
  "deleteVModel",
  "getVModelStatus",
]);

export function readRecording(scenario: string): Recording {
  const lines = readFileSync(path.join(RECORDINGS_DIR, `${scenario}.jsonl`), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Line);
  const ends = new Map<number, Line>();
  for (const line of lines)
    if (line.kind === "answer" || line.kind === "error") ends.set(line.id as number, line);

  const calls: RecordedCall[] = [];
  const left: string[] = [];
  for (const line of lines) {
    if (line.kind !== "call") continue;
    const id = line.id as number;
    const method = line.method as string;
    const end = ends.get(id);
    if (!MESH_METHODS.has(method)) {
      left.push(`#${id} ${method}: inference is not emulated`);
      continue;
    }
    if (end === undefined) throw new Error(`${scenario}: call #${id} has no answer`);
    if (end.client_side === true) {
      left.push(`#${id} ${method}: refused by the client while model-mesh was down`);
      continue;
    }
    calls.push({
      id,
      t: line.t_ms,
      end: end.t_ms,
      method: method as MeshMethodName,
      request: line.request as Record<string, unknown>,
      phase: (line.phase as string | undefined) ?? "",
      latencyMs: end.latency_ms as number,
      outcome:
        end.kind === "answer"
          ? { answer: end.response }
          : { error: end.code_name as string, details: end.details as string },
      timestamps: (end.timestamps_t_ms as Record<string, number> | undefined) ?? {},
    });
  }

  const writes: RecordedWrite[] = [];
  for (const line of lines) {
    if (line.kind !== "etcd" || line.type === "initial") continue;
    const key = String(line.key);
    const at = key.indexOf(SERVICE_KEY);
    const table = at < 0 ? "" : key.slice(at + SERVICE_KEY.length);
    if (!table.startsWith("registry/") && !table.startsWith("vmodels/")) continue;
    writes.push({
      rev: line.rev as number,
      type: line.type === "delete" ? "delete" : "put",
      key: table,
      ...(line.type === "delete" ? {} : { value: line.value }),
      timestamps: (line.timestamps_t_ms as Record<string, number> | undefined) ?? {},
    });
  }

  const kill = lines.find((l) => l.kind === "process" && l.event === "kill");
  const ready = lines.find(
    (l) => l.kind === "process" && l.event === "ready-probe-client" && l.status === 200,
  );
  const last = lines.at(-1);
  return {
    scenario,
    end: last?.t_ms ?? 0,
    calls,
    writes,
    ...(kill && ready ? { restart: { kill: kill.t_ms, ready: ready.t_ms } } : {}),
    left,
  };
}
