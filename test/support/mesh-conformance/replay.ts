/**
 * TEST INFRASTRUCTURE — sends a recording's calls again, in the same order and on the same timeline scaled by
 * `scale`. A call the recording had answered before the next one was sent is awaited before that one is sent
 * (the recorder's client waited for it too); the others overlap as they did (polls while a `sync` call blocks). In
 * S8 the mesh is stopped at the kill and a new one started, ready after the recorded delay (scaled).
 */
import type { MeshMethodName, MeshReply } from "../emulator/mesh-caller.js";
import type { RecordedCall, Recording } from "./recording.js";
import { Timeline } from "./timeline.js";

export interface ReplayMesh {
  /** Starts a model-mesh; resolves once it serves (after `startupDelayMs`). */
  start(startupDelayMs: number): Promise<void>;
  stop(): Promise<void>;
  call(method: MeshMethodName, request: Record<string, unknown>): Promise<MeshReply>;
}

export interface ReplayedCall {
  readonly call: RecordedCall;
  readonly sentAt: number;
  readonly latencyMs: number;
  readonly reply: MeshReply;
}

export interface Replay {
  /** In the recording's order. */
  readonly calls: readonly ReplayedCall[];
  readonly timeline: Timeline;
}

type Step =
  | { readonly t: number; readonly call: RecordedCall }
  | { readonly t: number; readonly ready: number };

const sleepUntil = (epoch: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, epoch - Date.now())));

export async function replay(recording: Recording, scale: number, mesh: ReplayMesh): Promise<Replay> {
  const steps: Step[] = recording.calls.map((call) => ({ t: call.t, call }));
  if (recording.restart) steps.push({ t: recording.restart.kill, ready: recording.restart.ready });
  steps.sort((a, b) => a.t - b.t);

  const start = Date.now();
  const timeline = new Timeline(scale, start);
  const inFlight = new Map<RecordedCall, Promise<void>>();
  const replayed = new Map<number, ReplayedCall>();
  for (const step of steps) {
    await sleepUntil(start + step.t * scale);
    await Promise.all([...inFlight].filter(([call]) => call.end <= step.t).map(([, done]) => done));
    if ("ready" in step) {
      await mesh.stop();
      await mesh.start((step.ready - step.t) * scale);
      timeline.anchor(step.ready, Date.now());
      continue;
    }
    const { call } = step;
    const sentAt = Date.now();
    timeline.anchor(call.t, sentAt);
    const done = mesh.call(call.method, call.request).then((reply) => {
      replayed.set(call.id, { call, sentAt, latencyMs: Date.now() - sentAt, reply });
      inFlight.delete(call);
    });
    inFlight.set(call, done);
  }
  await Promise.all(inFlight.values());
  await sleepUntil(start + recording.end * scale);
  return {
    calls: recording.calls.flatMap((call) => replayed.get(call.id) ?? []),
    timeline,
  };
}
