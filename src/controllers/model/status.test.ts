import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { INITIAL_PREDICTOR_STATUS, type PredictorStatus } from "../../apis/serving/v1alpha1/predictor.js";
import { defaultServingConfig } from "../../config/serving-config.js";
import {
  ModelStatusInfo_ModelCopyInfoSchema as CopyInfoSchema,
  ModelStatusInfo_ModelStatus as ModelStatus,
  ModelStatusInfoSchema,
  VModelStatusInfo_VModelStatus as VModelStatus,
  VModelStatusInfoSchema,
} from "../../modelmesh-client/gen/mmesh/model-mesh_pb.js";
import {
  decodeModelState,
  EXCEPTION_PREFIX,
  inferenceEndpoints,
  MESSAGES,
  meshEndpointUnreachable,
  NO_INSTANCES_PREFIX,
  shouldLoadNow,
  statusAfterSetVModel,
  statusForInvalidSpec,
  statusForNameCollision,
  statusWaitingForMesh,
  withoutStaleRuntimeWait,
  withRuntimeCapacity,
  withTargetRuntimeCapacity,
} from "./status.js";

const NOW = new Date("2026-03-01T10:00:00.250Z");
const NOW_TEXT = "2026-03-01T10:00:00Z";
const ENDPOINTS = { grpc: "grpc://modelmesh-serving.ns:8033", http: "http://modelmesh-serving.ns:8008" };
const INITIAL: PredictorStatus = { ...INITIAL_PREDICTOR_STATUS };

function model(
  status: ModelStatus,
  errors: string[] = [],
  copies: Array<[string, ModelStatus, number]> = [],
) {
  return create(ModelStatusInfoSchema, {
    status,
    errors,
    modelCopyInfos: copies.map(([location, copyStatus, time]) =>
      create(CopyInfoSchema, { location, copyStatus, time: BigInt(time) }),
    ),
  });
}

function vmodel(
  status: VModelStatus,
  active: ReturnType<typeof model> | undefined,
  target?: ReturnType<typeof model>,
  ids: { active: string; target: string } = { active: "m__ksp-a", target: "m__ksp-a" },
) {
  return create(VModelStatusInfoSchema, {
    status,
    activeModelId: ids.active,
    targetModelId: ids.target,
    activeModelStatus: active,
    targetModelStatus: target,
    owner: "ksp",
  });
}

const noRuntime = (type: string, labels: string) => `${NO_INSTANCES_PREFIX}${type}: [${labels}]`;

describe("decodeModelState", () => {
  it.each([
    ["no model status", undefined, { state: "Pending" }],
    ["NOT_LOADED", model(ModelStatus.NOT_LOADED), { state: "Standby" }],
    ["LOADING", model(ModelStatus.LOADING), { state: "Loading" }],
    ["LOADED", model(ModelStatus.LOADED), { state: "Loaded" }],
    ["NOT_FOUND", model(ModelStatus.NOT_FOUND), { state: "" }],
    ["UNKNOWN", model(ModelStatus.UNKNOWN), { state: "" }],
    [
      "LOADING with an old error",
      model(ModelStatus.LOADING, ["boom"]),
      { state: "Loading", reason: "ModelLoadFailed", message: "boom" },
    ],
    [
      "a failed load",
      model(ModelStatus.LOADING_FAILED, ["pull failed"]),
      { state: "FailedToLoad", reason: "ModelLoadFailed", message: "pull failed" },
    ],
    [
      "a failure without message",
      model(ModelStatus.LOADING_FAILED),
      { state: "FailedToLoad", reason: "ModelLoadFailed", message: "" },
    ],
    [
      "runtimes exist but none is running",
      model(ModelStatus.LOADING_FAILED, [noRuntime("mt:sklearn", "mt:sklearn")]),
      { state: "Loading", reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime },
    ],
    [
      "no runtime supports the type",
      model(ModelStatus.LOADING_FAILED, [noRuntime("mt:caffe", "_no_runtime")]),
      { state: "FailedToLoad", reason: "NoSupportingRuntime", message: MESSAGES.noSupportingRuntime },
    ],
    [
      "the runtime named does not exist",
      model(ModelStatus.LOADING_FAILED, [noRuntime("rt:nope", "_no_runtime")]),
      { state: "FailedToLoad", reason: "RuntimeNotRecognized", message: MESSAGES.runtimeNotRecognized },
    ],
    [
      "loading on a runtime with no running pod (scaled to zero), the placement failure kept",
      model(ModelStatus.LOADING, [noRuntime("mt:onnx", "mt:onnx")]),
      { state: "Loading", reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime },
    ],
    [
      "the first answer after a failure, with model-mesh's exception prefix",
      model(ModelStatus.LOADING_FAILED, [`${EXCEPTION_PREFIX}INTERNAL: Failed to load Model due to X`]),
      {
        state: "FailedToLoad",
        reason: "ModelLoadFailed",
        message: "INTERNAL: Failed to load Model due to X",
      },
    ],
    [
      "a placement failure with the prefix",
      model(ModelStatus.LOADING_FAILED, [`${EXCEPTION_PREFIX}${noRuntime("mt:sklearn", "mt:sklearn")}`]),
      { state: "Loading", reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime },
    ],
  ])("%s", (_name, info, expected) => {
    expect(decodeModelState(info)).toEqual(expected);
  });
});

describe("statusAfterSetVModel", () => {
  const loadedCopy: [string, ModelStatus, number] = ["pod-a", ModelStatus.UNKNOWN, 1_700_000_000_000];

  it("a new model is loading, then loaded and available", () => {
    const loading = statusAfterSetVModel(
      INITIAL,
      vmodel(VModelStatus.DEFINED, model(ModelStatus.LOADING, [], [loadedCopy])),
      NOW,
      ENDPOINTS,
    );
    expect(loading).toEqual({
      ...INITIAL,
      activeModelState: "Loading",
      available: true,
      totalCopies: 1,
      grpcEndpoint: ENDPOINTS.grpc,
      httpEndpoint: ENDPOINTS.http,
    });
    const loaded = statusAfterSetVModel(
      loading,
      vmodel(VModelStatus.DEFINED, model(ModelStatus.LOADED, [], [loadedCopy])),
      NOW,
      ENDPOINTS,
    );
    expect(loaded).toMatchObject({
      available: true,
      activeModelState: "Loaded",
      targetModelState: "",
      transitionStatus: "UpToDate",
    });
    expect(loaded.lastFailureInfo).toBeUndefined();
  });

  it("a spec update shows the transition, then the new model up to date", () => {
    const steady: PredictorStatus = { ...INITIAL, activeModelState: "Loaded", available: true };
    const moving = statusAfterSetVModel(
      steady,
      vmodel(VModelStatus.TRANSITIONING, model(ModelStatus.LOADED), model(ModelStatus.LOADING), {
        active: "m__ksp-a",
        target: "m__ksp-b",
      }),
      NOW,
      ENDPOINTS,
    );
    expect(moving).toMatchObject({
      available: true,
      activeModelState: "Loaded",
      targetModelState: "Loading",
      transitionStatus: "InProgress",
    });
    expect(moving.lastFailureInfo).toBeUndefined();
  });

  it("a move to a runtime scaled to zero waits for its pod, with the time it started waiting", () => {
    const steady: PredictorStatus = { ...INITIAL, activeModelState: "Loaded", available: true };
    const answer = vmodel(
      VModelStatus.TRANSITIONING,
      model(ModelStatus.LOADED, [], [["inst-a", ModelStatus.UNKNOWN, 1]]),
      model(ModelStatus.LOADING, [noRuntime("mt:onnx", "mt:onnx")]),
      { active: "m__ksp-a", target: "m__ksp-b" },
    );
    const moving = statusAfterSetVModel(steady, answer, NOW, ENDPOINTS);
    expect(moving).toMatchObject({
      activeModelState: "Loaded",
      targetModelState: "Loading",
      transitionStatus: "InProgress",
      available: false, // upstream's rule for a model waiting for a runtime
      lastFailureInfo: {
        reason: "RuntimeUnhealthy",
        message: MESSAGES.waitingForSupportingRuntime,
        modelId: "m__ksp-b",
        time: NOW_TEXT,
      },
    });
    // Seen again 10 s later: the same failure keeps its time (no new status write).
    const later = statusAfterSetVModel(moving, answer, new Date(NOW.getTime() + 10_000), ENDPOINTS);
    expect(later).toEqual(moving);
  });

  it("a failed target blocks the transition; the failure names the copy's location and time", () => {
    const steady: PredictorStatus = { ...INITIAL, activeModelState: "Loaded", available: true };
    const failedAt = Date.parse("2026-03-01T09:59:30.999Z");
    const blocked = statusAfterSetVModel(
      steady,
      vmodel(
        VModelStatus.TRANSITION_FAILED,
        model(ModelStatus.LOADED, [], [loadedCopy]),
        model(
          ModelStatus.LOADING_FAILED,
          ["no such path"],
          [["pod-b", ModelStatus.LOADING_FAILED, failedAt]],
        ),
        { active: "m__ksp-a", target: "m__ksp-b" },
      ),
      NOW,
      ENDPOINTS,
    );
    expect(blocked).toMatchObject({
      available: true,
      activeModelState: "Loaded",
      targetModelState: "FailedToLoad",
      transitionStatus: "BlockedByFailedLoad",
      totalCopies: 2,
      failedCopies: 1,
      lastFailureInfo: {
        reason: "ModelLoadFailed",
        message: "no such path",
        modelId: "m__ksp-b",
        location: "pod-b",
        time: "2026-03-01T09:59:30Z",
      },
    });
  });

  it("a failed transition whose target loads again is in progress", () => {
    const next = statusAfterSetVModel(
      { ...INITIAL, activeModelState: "Loaded" },
      vmodel(VModelStatus.TRANSITION_FAILED, model(ModelStatus.LOADED), model(ModelStatus.LOADING), {
        active: "a",
        target: "b",
      }),
      NOW,
      ENDPOINTS,
    );
    expect(next.transitionStatus).toBe("InProgress");
  });

  it("a failed first load is not available", () => {
    const failed = statusAfterSetVModel(
      INITIAL,
      vmodel(
        VModelStatus.DEFINED,
        model(
          ModelStatus.LOADING_FAILED,
          ["bad"],
          [["pod-a", ModelStatus.LOADING_FAILED, 1_700_000_000_000]],
        ),
      ),
      NOW,
      ENDPOINTS,
    );
    expect(failed).toMatchObject({
      available: false,
      activeModelState: "FailedToLoad",
      failedCopies: 1,
      lastFailureInfo: { reason: "ModelLoadFailed", location: "pod-a", time: "2023-11-14T22:13:20Z" },
    });
  });

  it("a missing runtime gives NoSupportingRuntime at the current time, kept for 20 s", () => {
    const answer = vmodel(
      VModelStatus.DEFINED,
      model(ModelStatus.LOADING_FAILED, [noRuntime("mt:x", "_no_runtime")]),
    );
    const first = statusAfterSetVModel(INITIAL, answer, NOW, ENDPOINTS);
    expect(first).toMatchObject({
      available: false,
      activeModelState: "FailedToLoad",
      lastFailureInfo: { reason: "NoSupportingRuntime", modelId: "m__ksp-a", time: NOW_TEXT },
    });
    const soon = statusAfterSetVModel(first, answer, new Date(NOW.getTime() + 19_000), ENDPOINTS);
    expect(soon.lastFailureInfo?.time).toBe(NOW_TEXT);
    const later = statusAfterSetVModel(first, answer, new Date(NOW.getTime() + 21_000), ENDPOINTS);
    expect(later.lastFailureInfo?.time).toBe("2026-03-01T10:00:21Z");
  });

  it("waiting for a runtime keeps the model Loading and not available; copies of the waiting model are not counted", () => {
    const waiting = statusAfterSetVModel(
      INITIAL,
      vmodel(
        VModelStatus.DEFINED,
        model(
          ModelStatus.LOADING_FAILED,
          [noRuntime("mt:x", "mt:x")],
          [["pod", ModelStatus.LOADING_FAILED, 1]],
        ),
      ),
      NOW,
      ENDPOINTS,
    );
    expect(waiting).toMatchObject({
      available: false,
      activeModelState: "Loading",
      totalCopies: 0,
      lastFailureInfo: { reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime },
    });
  });

  it("keeps a waiting-for-runtime failure while the target has no failure and is not loaded, clears others", () => {
    const waiting: PredictorStatus = {
      ...INITIAL,
      activeModelState: "Loading",
      lastFailureInfo: { reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime },
    };
    const stillLoading = vmodel(VModelStatus.DEFINED, model(ModelStatus.LOADING));
    expect(statusAfterSetVModel(waiting, stillLoading, NOW, ENDPOINTS).lastFailureInfo).toEqual(
      waiting.lastFailureInfo,
    );
    const failedBefore: PredictorStatus = {
      ...waiting,
      lastFailureInfo: { reason: "ModelLoadFailed", message: "old" },
    };
    expect(statusAfterSetVModel(failedBefore, stillLoading, NOW, ENDPOINTS).lastFailureInfo).toBeUndefined();
  });

  it.each([
    MESSAGES.waitingForRuntimePod,
    MESSAGES.meshNotAnswering,
    meshEndpointUnreachable("127.0.0.1:8033"),
  ])("a wait for the mesh itself (%s) ends with its first answer, unlike upstream", (message) => {
    const waiting: PredictorStatus = {
      ...INITIAL,
      activeModelState: "Loaded",
      lastFailureInfo: { reason: "RuntimeUnhealthy", message },
    };
    const reloading = vmodel(VModelStatus.DEFINED, model(ModelStatus.LOADING));
    expect(statusAfterSetVModel(waiting, reloading, NOW, ENDPOINTS)).toMatchObject({
      activeModelState: "Loading",
      available: true,
    });
    expect(statusAfterSetVModel(waiting, reloading, NOW, ENDPOINTS).lastFailureInfo).toBeUndefined();
  });

  it("leaves the active state alone when model-mesh does not know the model, and the transition on NOT_FOUND", () => {
    const before: PredictorStatus = {
      ...INITIAL,
      activeModelState: "Loaded",
      transitionStatus: "InProgress",
    };
    const next = statusAfterSetVModel(
      before,
      vmodel(VModelStatus.NOT_FOUND, model(ModelStatus.UNKNOWN)),
      NOW,
      ENDPOINTS,
    );
    expect(next).toMatchObject({ activeModelState: "Loaded", transitionStatus: "InProgress" });
  });
});

describe("other outcomes", () => {
  it("an invalid spec shows the vmodel's state, InvalidSpec and the problem, without a time", () => {
    const next = statusForInvalidSpec(
      { ...INITIAL, activeModelState: "Loaded", available: true },
      vmodel(VModelStatus.DEFINED, model(ModelStatus.LOADED)),
      "spec.storage.PersistentVolumeClaim is not supported",
      "m__ksp-c",
      NOW,
      ENDPOINTS,
    );
    expect(next).toMatchObject({
      activeModelState: "Loaded",
      transitionStatus: "InvalidSpec",
      available: true,
      lastFailureInfo: {
        reason: "InvalidPredictorSpec",
        message: "spec.storage.PersistentVolumeClaim is not supported",
        modelId: "m__ksp-c",
      },
    });
    expect(next.lastFailureInfo?.time).toBeUndefined();
  });

  it("no mesh pod: RuntimeUnhealthy, waiting for the runtime pod, states untouched", () => {
    const next = statusWaitingForMesh(INITIAL, "m__ksp-a", ENDPOINTS);
    expect(next).toMatchObject({
      activeModelState: "Pending",
      available: false,
      lastFailureInfo: {
        reason: "RuntimeUnhealthy",
        message: MESSAGES.waitingForRuntimePod,
        modelId: "m__ksp-a",
      },
    });
  });

  it("a mesh that does not answer: RuntimeUnhealthy with the reason given", () => {
    const loaded: PredictorStatus = { ...INITIAL, activeModelState: "Loaded", available: true };
    const next = statusWaitingForMesh(loaded, "m__ksp-a", ENDPOINTS, MESSAGES.meshNotAnswering);
    expect(next).toMatchObject({
      activeModelState: "Loaded",
      available: false,
      lastFailureInfo: {
        reason: "RuntimeUnhealthy",
        message: MESSAGES.meshNotAnswering,
        modelId: "m__ksp-a",
      },
    });
  });

  it("a name taken by another source", () => {
    expect(statusForNameCollision(INITIAL, ENDPOINTS).lastFailureInfo).toEqual({
      reason: "InvalidPredictorSpec",
      message: "Predictor already exists with the same name from a different source",
    });
  });

  it.each([
    ["Pending", {}, true],
    ["FailedToLoad", {}, true],
    ["Loaded", {}, false],
    ["Loaded", { targetModelState: "Loading" as const }, true],
    ["Loading", {}, false],
    ["Loading", { lastFailureInfo: { reason: "RuntimeUnhealthy" as const } }, true],
    ["Standby", { lastFailureInfo: { reason: "RuntimeUnhealthy" as const } }, false],
  ] as const)("loadNow for active %s %o is %s", (active, extra, expected) => {
    expect(shouldLoadNow({ ...INITIAL, activeModelState: active, ...extra }, false)).toBe(expected);
    expect(shouldLoadNow({ ...INITIAL, activeModelState: active, ...extra }, true)).toBe(false);
  });

  it("endpoints follow the Service, the REST proxy and TLS", () => {
    const config = defaultServingConfig();
    expect(inferenceEndpoints(config, "ns")).toEqual(ENDPOINTS);
    expect(inferenceEndpoints({ ...config, tls: { secretName: "tls", clientAuth: "" } }, "ns").http).toBe(
      "https://modelmesh-serving.ns:8008",
    );
    expect(
      inferenceEndpoints({ ...config, restProxy: { ...config.restProxy, enabled: false } }, "ns").http,
    ).toBe("");
  });
});

describe("withoutStaleRuntimeWait", () => {
  const waiting: PredictorStatus = {
    ...INITIAL,
    activeModelState: "Loading",
    lastFailureInfo: { reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime },
  };
  const loading = vmodel(VModelStatus.DEFINED, model(ModelStatus.LOADING));

  it("ends a kept wait for a runtime once one is ready and the answer has no failure", () => {
    const answered = statusAfterSetVModel(waiting, loading, NOW, ENDPOINTS);
    expect(answered.lastFailureInfo).toBeDefined(); // upstream's rule keeps it
    const next = withoutStaleRuntimeWait(answered, loading, "ready");
    expect(next.lastFailureInfo).toBeUndefined();
    expect(next).toMatchObject({ activeModelState: "Loading", available: true });
  });

  it("keeps it while no runtime is ready, and keeps a wait the answer itself reports", () => {
    const answered = statusAfterSetVModel(waiting, loading, NOW, ENDPOINTS);
    expect(withoutStaleRuntimeWait(answered, loading, "notReady")).toEqual(answered);
    const nowhere = vmodel(
      VModelStatus.DEFINED,
      model(ModelStatus.LOADING_FAILED, [noRuntime("mt:sklearn", "mt:sklearn")]),
    );
    const reported = statusAfterSetVModel(INITIAL, nowhere, NOW, ENDPOINTS);
    expect(withoutStaleRuntimeWait(reported, nowhere, "ready")).toEqual(reported);
  });
});

describe("withTargetRuntimeCapacity", () => {
  const steady: PredictorStatus = { ...INITIAL, activeModelState: "Loaded", available: true };
  const moving = (target: ReturnType<typeof model>) =>
    vmodel(
      VModelStatus.TRANSITION_FAILED,
      model(ModelStatus.LOADED, [], [["inst-a", ModelStatus.UNKNOWN, 1]]),
      target,
      {
        active: "m__ksp-a",
        target: "m__ksp-b",
      },
    );
  const unplaced = moving(model(ModelStatus.LOADING));

  it("an unplaced target whose runtimes have no ready pod waits for one, keeping the time it started", () => {
    const answered = statusAfterSetVModel(steady, unplaced, NOW, ENDPOINTS);
    const waiting = withTargetRuntimeCapacity(answered, unplaced, "notReady", undefined, NOW);
    expect(waiting).toMatchObject({
      activeModelState: "Loaded",
      targetModelState: "Loading",
      transitionStatus: "InProgress",
      available: false,
      lastFailureInfo: {
        reason: "RuntimeUnhealthy",
        message: MESSAGES.waitingForSupportingRuntime,
        modelId: "m__ksp-b",
        time: NOW_TEXT,
      },
    });
    const later = new Date(NOW.getTime() + 60_000);
    const again = withTargetRuntimeCapacity(answered, unplaced, "notReady", waiting.lastFailureInfo, later);
    expect(again.lastFailureInfo?.time).toBe(NOW_TEXT);
  });

  it("leaves a placed target, a ready runtime, and a target's own load failure alone", () => {
    const answered = statusAfterSetVModel(steady, unplaced, NOW, ENDPOINTS);
    expect(withTargetRuntimeCapacity(answered, unplaced, "ready", undefined, NOW)).toEqual(answered);
    const placed = moving(model(ModelStatus.LOADING, [], [["inst-b", ModelStatus.UNKNOWN, 2]]));
    const placedStatus = statusAfterSetVModel(steady, placed, NOW, ENDPOINTS);
    expect(withTargetRuntimeCapacity(placedStatus, placed, "notReady", undefined, NOW)).toEqual(placedStatus);
    const failed = { ...answered, lastFailureInfo: { reason: "ModelLoadFailed" as const, message: "x" } };
    expect(withTargetRuntimeCapacity(failed, unplaced, "notReady", undefined, NOW)).toEqual(failed);
  });
});

describe("withRuntimeCapacity", () => {
  const standby: PredictorStatus = { ...INITIAL, activeModelState: "Standby", available: true };

  it.each([
    ["none", "mt:sklearn", "NoSupportingRuntime"],
    ["none", "rt:custom", "RuntimeNotRecognized"],
    ["notReady", "mt:sklearn", "RuntimeUnhealthy"],
  ] as const)("an idle model with %s runtime for %s is not available: %s", (capacity, type, reason) => {
    const next = withRuntimeCapacity(standby, capacity, type, "m__ksp-a", undefined, NOW);
    expect(next).toMatchObject({
      available: false,
      lastFailureInfo: { reason, modelId: "m__ksp-a", time: NOW_TEXT },
    });
  });

  it("keeps the time of an unchanged reason", () => {
    const previous = { reason: "NoSupportingRuntime" as const, time: "2026-01-01T00:00:00Z" };
    expect(withRuntimeCapacity(standby, "none", "mt:x", "m", previous, NOW).lastFailureInfo?.time).toBe(
      previous.time,
    );
  });

  it("clears a runtime failure of an idle model once a runtime is ready, and leaves loaded models alone", () => {
    const waiting = {
      ...standby,
      available: false,
      lastFailureInfo: { reason: "RuntimeUnhealthy" as const },
    };
    expect(withRuntimeCapacity(waiting, "ready", "mt:x", "m", undefined, NOW)).toEqual(standby);
    const loaded = { ...standby, activeModelState: "Loaded" as const };
    expect(withRuntimeCapacity(loaded, "none", "mt:x", "m", undefined, NOW)).toBe(loaded);
    const failed = { ...standby, lastFailureInfo: { reason: "ModelLoadFailed" as const } };
    expect(withRuntimeCapacity(failed, "none", "mt:x", "m", undefined, NOW)).toBe(failed);
  });
});

describe("decodeModelState: placement errors and several errors, as upstream's decodeModelState", () => {
  it.each([
    [
      "a named runtime that exists but has no running instance waits for it",
      model(ModelStatus.LOADING_FAILED, [noRuntime("rt:triton-2.x", "rt:triton-2.x")]),
      { state: "Loading", reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime },
    ],
    [
      "a named runtime with a protocol requirement waits for it too",
      model(ModelStatus.LOADING_FAILED, [noRuntime("rt:triton-2.x", "rt:triton-2.x, pv:grpc-v2")]),
      { state: "Loading", reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime },
    ],
    [
      "of a load error then a placement error, the load error wins",
      model(ModelStatus.LOADING_FAILED, ["pull failed", noRuntime("rt:triton-2.x", "rt:triton-2.x")]),
      { state: "FailedToLoad", reason: "ModelLoadFailed", message: "pull failed" },
    ],
    [
      "of a placement error then a load error, the placement error wins",
      model(ModelStatus.LOADING_FAILED, [noRuntime("rt:triton-2.x", "rt:triton-2.x"), "pull failed"]),
      { state: "Loading", reason: "RuntimeUnhealthy", message: MESSAGES.waitingForSupportingRuntime },
    ],
    [
      "of an unknown runtime then a missing type, the first decides",
      model(ModelStatus.LOADING_FAILED, [
        noRuntime("rt:nope", "_no_runtime"),
        noRuntime("mt:caffe", "_no_runtime"),
      ]),
      { state: "FailedToLoad", reason: "RuntimeNotRecognized", message: MESSAGES.runtimeNotRecognized },
    ],
    [
      "a loading model with several old errors reports the first",
      model(ModelStatus.LOADING, ["first", "second"]),
      { state: "Loading", reason: "ModelLoadFailed", message: "first" },
    ],
  ])("%s", (_name, info, expected) => {
    expect(decodeModelState(info)).toEqual(expected);
  });
});
