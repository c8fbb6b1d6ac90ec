import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it, vi } from "vitest";
import { KubeApiError } from "../../controller-runtime/kube-client.js";
import { AggregatingEventRecorder } from "./event-recorder.js";

interface Call {
  method: "create" | "patch";
  namespace: string | undefined;
  body: Record<string, unknown>;
}

function fakeClient(options: { failPatchWith404?: boolean } = {}) {
  const calls: Call[] = [];
  return {
    calls,
    client: {
      async create<T extends KubernetesObject>(_: unknown, object: T): Promise<T> {
        calls.push({ method: "create", namespace: object.metadata?.namespace, body: object as never });
        return object;
      },
      async mergePatch<T extends KubernetesObject>(
        _: unknown,
        location: { namespace?: string | undefined },
        patch: unknown,
      ): Promise<T> {
        if (options.failPatchWith404) throw new KubeApiError(404, "NotFound", "gone");
        calls.push({ method: "patch", namespace: location.namespace, body: patch as never });
        return {} as T;
      },
    },
  };
}

const runtime: KubernetesObject = {
  apiVersion: "serving.kserve.io/v1alpha1",
  kind: "ServingRuntime",
  metadata: { name: "rt", namespace: "ns", uid: "u1" },
};

describe("AggregatingEventRecorder", () => {
  it("creates one Event and folds repeats into a count", async () => {
    const { client, calls } = fakeClient();
    let now = 1_000;
    const recorder = new AggregatingEventRecorder({ client, repeatIntervalMs: 10_000, now: () => now });
    recorder.record(runtime, "Warning", "InvalidRuntimeSpec", "bad");
    await recorder.flush();
    for (let i = 0; i < 50; i++) {
      now += 10;
      recorder.record(runtime, "Warning", "InvalidRuntimeSpec", "bad");
    }
    await recorder.flush();
    expect(calls.map((call) => call.method)).toEqual(["create", "patch"]);
    expect(calls[0]?.body).toMatchObject({
      type: "Warning",
      reason: "InvalidRuntimeSpec",
      message: "bad",
      count: 1,
      involvedObject: { kind: "ServingRuntime", name: "rt", namespace: "ns", uid: "u1" },
      source: { component: "modelmesh-controller" },
    });
    expect(calls[1]?.body).toMatchObject({ count: 51 });
  });

  it("keeps different messages apart and puts cluster objects' events in default, a Namespace's in itself", async () => {
    const { client, calls } = fakeClient();
    const recorder = new AggregatingEventRecorder({ client });
    recorder.record(runtime, "Warning", "R", "one");
    recorder.record(runtime, "Warning", "R", "two");
    recorder.record(
      { apiVersion: "serving.kserve.io/v1alpha1", kind: "ClusterServingRuntime", metadata: { name: "c" } },
      "Normal",
      "R",
      "m",
    );
    recorder.record({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } }, "Warning", "R", "m");
    await recorder.flush();
    expect(calls.map((call) => [call.method, call.namespace])).toEqual([
      ["create", "ns"],
      ["create", "ns"],
      ["create", "default"],
      ["create", "team"],
    ]);
  });

  it("starts a new Event when the old one expired, and never throws at the caller", async () => {
    const { client, calls } = fakeClient({ failPatchWith404: true });
    const recorder = new AggregatingEventRecorder({ client, repeatIntervalMs: 0 });
    recorder.record(runtime, "Normal", "R", "m");
    await recorder.flush();
    recorder.record(runtime, "Normal", "R", "m");
    await recorder.flush();
    expect(calls.map((call) => call.method)).toEqual(["create", "create"]);
    expect(calls[1]?.body).toMatchObject({ count: 2 });
    const failing = new AggregatingEventRecorder({
      client: {
        create: () => Promise.reject(new Error("API server down")),
        mergePatch: () => Promise.reject(new Error("API server down")),
      },
    });
    expect(() => failing.record(runtime, "Normal", "R", "m")).not.toThrow();
    await failing.flush();
  });

  it("forgets the oldest events beyond its memory and drops writes beyond its queue", async () => {
    const { client, calls } = fakeClient();
    const recorder = new AggregatingEventRecorder({ client, maxRemembered: 2, maxPendingWrites: 3 });
    for (let i = 0; i < 10; i++) recorder.record(runtime, "Normal", "R", `m${i}`);
    await recorder.flush();
    expect(calls.length).toBe(3);
  });

  it("writes a burst at once, then paces the rest", async () => {
    vi.useFakeTimers();
    try {
      const { client, calls } = fakeClient();
      const recorder = new AggregatingEventRecorder({ client, writesPerSecond: 10, writeBurst: 2 });
      for (let i = 0; i < 5; i++) recorder.record(runtime, "Normal", "R", `m${i}`);
      await vi.advanceTimersByTimeAsync(0);
      expect(calls.length).toBe(2);
      await vi.advanceTimersByTimeAsync(100);
      expect(calls.length).toBe(3);
      await vi.advanceTimersByTimeAsync(200);
      expect(calls.map((call) => call.body.message)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
