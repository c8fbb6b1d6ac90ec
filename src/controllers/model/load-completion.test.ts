import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../controller-runtime/logging.js";
import {
  ModelStatusInfo_ModelStatus as ModelStatus,
  type ModelStatusInfo,
  ModelStatusInfoSchema,
} from "../../modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { FIRST_LOOK_AGAIN_MS, LoadCompletion, MAX_LOOK_AGAIN_MS } from "./load-completion.js";

/** A stand-in for ModelMesh's blocking `ensureLoaded`: each wait stays open until the test ends its load. */
class Mesh {
  readonly open = new Map<string, { resolve: (info: ModelStatusInfo) => void; signal: AbortSignal }>();
  readonly started: string[] = [];
  cancelled = 0;

  waitForLoad = (modelId: string, signal: AbortSignal) =>
    new Promise<ModelStatusInfo>((resolve, reject) => {
      this.started.push(modelId);
      this.open.set(modelId, { resolve, signal });
      signal.addEventListener("abort", () => {
        this.cancelled++;
        this.open.delete(modelId);
        reject(new Error("cancelled"));
      });
    });

  finish(modelId: string, status = ModelStatus.LOADED): void {
    const wait = this.open.get(modelId);
    if (wait === undefined) throw new Error(`no wait is held for ${modelId}`);
    this.open.delete(modelId);
    wait.resolve(create(ModelStatusInfoSchema, { status }));
  }
}

function setup(maxWaiters = 2) {
  const mesh = new Mesh();
  const enqueued: string[] = [];
  const loads = new LoadCompletion({
    waitForLoad: mesh.waitForLoad,
    enqueue: (key) => enqueued.push(key),
    maxWaiters: () => maxWaiters,
    log: createLogger("test"),
  });
  return { mesh, enqueued, loads };
}

const model = (n: number, location = "a", placedAt = n) => ({
  key: `ns/m${n}`,
  modelId: `m${n}__isvc-000000000${n}`,
  location,
  placedAt,
});

/** Lets the promise callbacks of finished waits run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe("LoadCompletion", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("holds a wait per loading model and enqueues the model when its load ends", async () => {
    const { mesh, enqueued, loads } = setup();
    loads.watch(model(1));
    expect(mesh.started).toEqual(["m1__isvc-0000000001"]);
    expect(loads.waiters).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(enqueued).toEqual([]); // a held wait is not polled
    mesh.finish("m1__isvc-0000000001");
    await settle();
    expect(enqueued).toEqual(["ns/m1"]);
    expect(loads.waiters).toBe(0);
  });

  it("marks a wait's answer as the load's end, and a look by backoff as not", async () => {
    const mesh = new Mesh();
    const seen: Array<[string, boolean]> = [];
    const loads = new LoadCompletion({
      waitForLoad: mesh.waitForLoad,
      enqueue: (key, ended) => seen.push([key, ended]),
      maxWaiters: () => 1,
      log: createLogger("test"),
    });
    loads.watch(model(1));
    loads.watch(model(2));
    await vi.advanceTimersByTimeAsync(FIRST_LOOK_AGAIN_MS);
    mesh.finish("m1__isvc-0000000001");
    await settle();
    expect(seen).toEqual([
      ["ns/m2", false],
      ["ns/m1", true],
    ]);
  });

  it("a model watched again while its wait is held gets no second wait", async () => {
    const { mesh, loads } = setup();
    loads.watch(model(1));
    loads.watch(model(1));
    expect(mesh.started).toHaveLength(1);
  });

  it("bounds the waits; a freed wait goes to the next placement of the same instance", async () => {
    const { mesh, loads } = setup(2);
    loads.watch(model(1, "a", 10));
    loads.watch(model(2, "b", 20));
    loads.watch(model(3, "b", 30));
    loads.watch(model(4, "a", 40));
    expect(mesh.started).toEqual(["m1__isvc-0000000001", "m2__isvc-0000000002"]);
    mesh.finish("m1__isvc-0000000001");
    await settle();
    // Instance a loads its queue in turn: its next placement is the likeliest next to finish.
    expect(mesh.started.at(-1)).toBe("m4__isvc-0000000004");
    mesh.finish("m4__isvc-0000000004");
    await settle();
    expect(mesh.started.at(-1)).toBe("m3__isvc-0000000003");
    expect(loads.waiters).toBe(2);
  });

  it("an instance holding no wait takes one from an instance holding more than it can load at once", async () => {
    const { mesh, loads } = setup(4);
    loads.watch(model(1, "c", 5));
    for (const n of [2, 3, 4, 6]) loads.watch(model(n, "a", n * 10));
    loads.watch(model(5, "b", 60));
    await settle();
    // b's running load is waited for; a keeps the waits of its two oldest placements (it may be loading both).
    expect(mesh.cancelled).toBe(1);
    expect([...mesh.open.keys()].sort()).toEqual([
      "m1__isvc-0000000001",
      "m2__isvc-0000000002",
      "m3__isvc-0000000003",
      "m5__isvc-0000000005",
    ]);
    loads.watch(model(7, "d", 70));
    await settle();
    expect(mesh.cancelled).toBe(1); // a holds no more than two now: nothing is taken from it
    // A freed wait goes to the instance holding the fewest, its oldest placement first.
    mesh.finish("m1__isvc-0000000001");
    await settle();
    expect(mesh.started.at(-1)).toBe("m7__isvc-0000000007");
  });

  it("a placement older than one holding a wait on the same instance takes the wait over", async () => {
    const { mesh, enqueued, loads } = setup(2);
    loads.watch(model(2, "a", 20));
    loads.watch(model(3, "a", 30));
    loads.watch(model(1, "a", 10)); // its reconcile came last, but it was placed first: it loads first
    await settle();
    expect([...mesh.open.keys()].sort()).toEqual(["m1__isvc-0000000001", "m2__isvc-0000000002"]);
    expect(enqueued).toEqual([]); // a wait taken over is no answer
    mesh.finish("m1__isvc-0000000001");
    await settle();
    expect(mesh.started.at(-1)).toBe("m3__isvc-0000000003");
  });

  it("a queued model is looked at again with backoff until it gets a wait", async () => {
    const { enqueued, loads } = setup(1);
    loads.watch(model(1));
    loads.watch(model(2));
    await vi.advanceTimersByTimeAsync(FIRST_LOOK_AGAIN_MS);
    expect(enqueued).toEqual(["ns/m2"]);
    loads.watch(model(2)); // the reconcile found it still loading
    await vi.advanceTimersByTimeAsync(FIRST_LOOK_AGAIN_MS);
    expect(enqueued).toEqual(["ns/m2"]);
    await vi.advanceTimersByTimeAsync(FIRST_LOOK_AGAIN_MS);
    expect(enqueued).toEqual(["ns/m2", "ns/m2"]);
    for (let i = 0; i < 10; i++) {
      loads.watch(model(2));
      await vi.advanceTimersByTimeAsync(MAX_LOOK_AGAIN_MS);
    }
    // The backoff has reached its cap: one look every MAX_LOOK_AGAIN_MS.
    const before = enqueued.length;
    loads.watch(model(2));
    await vi.advanceTimersByTimeAsync(MAX_LOOK_AGAIN_MS - 1);
    expect(enqueued.length).toBe(before);
    await vi.advanceTimersByTimeAsync(1);
    expect(enqueued.length).toBe(before + 1);
  });

  it("a wait that answered leaves later looks to backoff, so an early answer cannot spin", async () => {
    const { mesh, enqueued, loads } = setup();
    loads.watch(model(1));
    mesh.finish("m1__isvc-0000000001", ModelStatus.LOADING);
    await settle();
    expect(enqueued).toEqual(["ns/m1"]);
    loads.watch(model(1)); // still loading
    expect(mesh.started).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(FIRST_LOOK_AGAIN_MS);
    expect(enqueued).toEqual(["ns/m1", "ns/m1"]);
  });

  it("forgetting a model cancels its wait and hands the place on", async () => {
    const { mesh, enqueued, loads } = setup(1);
    loads.watch(model(1));
    loads.watch(model(2));
    loads.forget("ns/m1");
    await settle();
    expect(mesh.cancelled).toBe(1);
    expect(enqueued).toEqual([]);
    expect(mesh.started.at(-1)).toBe("m2__isvc-0000000002");
    expect(loads.size).toBe(1);
  });

  it("a new target model replaces the old wait", async () => {
    const { mesh, loads } = setup();
    loads.watch(model(1));
    loads.watch({ ...model(1), modelId: "m1__isvc-000000000a" });
    await settle();
    expect(mesh.cancelled).toBe(1);
    expect(mesh.started).toEqual(["m1__isvc-0000000001", "m1__isvc-000000000a"]);
  });

  it("the first look can be asked for earlier, and a wait that ends first makes it unnecessary", async () => {
    const { mesh, enqueued, loads } = setup();
    loads.watch(model(1), 100);
    await vi.advanceTimersByTimeAsync(100);
    expect(enqueued).toEqual(["ns/m1"]);
    loads.watch(model(2), 100);
    mesh.finish("m2__isvc-0000000002");
    await settle();
    await vi.advanceTimersByTimeAsync(200);
    expect(enqueued).toEqual(["ns/m1", "ns/m2"]);
  });

  it("a failed wait enqueues the model too; stop cancels every wait", async () => {
    const { mesh, enqueued, loads } = setup(3);
    const failing = new LoadCompletion({
      waitForLoad: () => Promise.reject(new Error("UNAVAILABLE")),
      enqueue: (key) => enqueued.push(key),
      maxWaiters: () => 1,
      log: createLogger("test"),
    });
    failing.watch(model(9));
    await settle();
    expect(enqueued).toEqual(["ns/m9"]);
    loads.watch(model(1));
    loads.watch(model(2));
    loads.stop();
    await settle();
    expect(mesh.cancelled).toBe(2);
    loads.watch(model(3));
    expect(mesh.started).toHaveLength(2);
  });
});
