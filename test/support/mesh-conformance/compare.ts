/**
 * TEST INFRASTRUCTURE — a replay against its recording, side by side: the answers of every call but the status
 * polls (normalized, and whether the call blocked for a load), the polls as sequences of distinct states, the
 * registry and vmodel writes as transactions (keys, members in their order, which writes shared a revision), and
 * every epoch-millisecond value against the instant the recording shows for it, on the replay's clock.
 */
import { type Normalization, recordedOutcome, replayedOutcome, writeOp } from "./normalize.js";
import type { RecordedOutcome, RecordedWrite, Recording } from "./recording.js";
import type { Replay } from "./replay.js";
import { distinctRuns, seriesMismatch } from "./state-series.js";

export interface ObservedWrite {
  readonly rev: bigint;
  readonly type: "put" | "delete";
  readonly key: string;
  readonly value?: unknown;
}

export interface CompareOptions {
  readonly normalization: Normalization;
  /** The emulator's load time: a call that took most of it blocked for a load. */
  readonly loadMs: number;
  /** How far a timestamp may be from the recorded instant on the replay's clock. */
  readonly toleranceMs: number;
}

export interface AnswerLine {
  readonly call: string;
  readonly outcome: RecordedOutcome;
  readonly blocked: boolean;
}

export interface Comparison {
  readonly answers: { readonly recorded: AnswerLine[]; readonly replayed: AnswerLine[] };
  readonly polls: Array<{ series: string; why: string; recorded: unknown; replayed: unknown }>;
  readonly transactions: { readonly recorded: string[][]; readonly replayed: string[][] };
  readonly timestamps: Array<{ where: string; path: string; offByMs: number | "missing" }>;
  /** How many timestamps were compared. */
  timestampsCompared: number;
}

/** The recorded loads took 3 s; calls that did not wait for one answered within 0.11 s. */
const RECORDED_BLOCKING_MS = 1_000;
const STATUS_METHODS = new Set(["getVModelStatus", "getModelStatus"]);

function transactions<W extends { rev: number | bigint }>(
  writes: readonly W[],
  op: (w: W) => string,
): string[][] {
  const groups: string[][] = [];
  let last: number | bigint | undefined;
  for (const write of writes) {
    if (write.rev !== last) groups.push([]);
    last = write.rev;
    groups.at(-1)?.push(op(write));
  }
  return groups;
}

export function compare(
  recording: Recording,
  replay: Replay,
  writes: readonly ObservedWrite[],
  options: CompareOptions,
): Comparison {
  const n = options.normalization;
  const recordedN = { ...n, instanceId: "" };
  const comparison: Comparison = {
    answers: { recorded: [], replayed: [] },
    polls: [],
    transactions: { recorded: [], replayed: [] },
    timestamps: [],
    timestampsCompared: 0,
  };
  const checkTimes = (
    where: string,
    recorded: Readonly<Record<string, number>>,
    seen: Record<string, number>,
  ) => {
    for (const [path, t] of Object.entries(recorded)) {
      comparison.timestampsCompared++;
      const value = seen[path];
      const offBy = value === undefined ? ("missing" as const) : value - replay.timeline.epochOf(t);
      if (offBy === "missing" || Math.abs(offBy) > options.toleranceMs)
        comparison.timestamps.push({ where, path, offByMs: offBy === "missing" ? offBy : Math.round(offBy) });
    }
  };

  // Status calls form series: one per method and request, a new one after each call that changes something.
  const series = new Map<string, { recorded: string[]; replayed: string[] }>();
  let segment = 0;
  for (const { call, reply, latencyMs } of replay.calls) {
    const name = `#${call.id} ${call.method} (${call.phase})`;
    const replayed = replayedOutcome(n, call.method, reply);
    const recorded = recordedOutcome(n, call.outcome);
    if (STATUS_METHODS.has(call.method)) {
      const key = `${segment} ${call.method} ${JSON.stringify(call.request)} (${call.phase})`;
      const entry = series.get(key) ?? { recorded: [], replayed: [] };
      entry.recorded.push(JSON.stringify(recorded));
      entry.replayed.push(JSON.stringify(replayed.value));
      series.set(key, entry);
      continue;
    }
    segment++;
    comparison.answers.recorded.push({
      call: name,
      outcome: recorded,
      blocked: call.latencyMs >= RECORDED_BLOCKING_MS,
    });
    comparison.answers.replayed.push({
      call: name,
      outcome: replayed.value,
      blocked: latencyMs >= 0.8 * options.loadMs,
    });
    checkTimes(name, call.timestamps, replayed.timestamps);
  }
  for (const [key, states] of series) {
    const why = seriesMismatch(states.recorded, states.replayed);
    if (why === undefined) continue;
    const runs = (list: string[]) => distinctRuns(list).map((run) => `${run.polls}× ${run.state}`);
    comparison.polls.push({
      series: key,
      why,
      recorded: runs(states.recorded),
      replayed: runs(states.replayed),
    });
  }

  const recordedOps = recording.writes.map((w: RecordedWrite) => writeOp(recordedN, w.type, w.key, w.value));
  const replayedOps = writes.map((w) => writeOp(n, w.type, w.key, w.value));
  comparison.transactions.recorded.push(
    ...transactions(
      recording.writes.map((w, i) => ({ rev: w.rev, op: recordedOps[i]?.value ?? "" })),
      (w) => w.op,
    ),
  );
  comparison.transactions.replayed.push(
    ...transactions(
      writes.map((w, i) => ({ rev: w.rev, op: replayedOps[i]?.value ?? "" })),
      (w) => w.op,
    ),
  );
  recording.writes.forEach((write, i) => {
    const seen = replayedOps[i];
    if (seen !== undefined) checkTimes(`write ${i + 1} (${write.key})`, write.timestamps, seen.timestamps);
  });
  return comparison;
}
