import { create, toBinary } from "@bufbuild/protobuf";
import { Metadata, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { DATAPLANE_API_CONFIG } from "../../../src/builders/type-constraints.js";
import { ModelInferRequestSchema } from "../mlserver/gen/inference/grpc_predict_v2_pb.js";
import { DataplaneApiConfig } from "./dataplane-config.js";
import { MeshStatus } from "./mesh-replies.js";
import { requestedModel, runtimeHeaders } from "./request-ids.js";

const CONFIG = DataplaneApiConfig.parse(DATAPLANE_API_CONFIG);
const INFER = CONFIG.rpcConfig("inference.GRPCInferenceService/ModelInfer");
const READY = CONFIG.rpcConfig("inference.GRPCInferenceService/ModelReady");
if (INFER === undefined || READY === undefined) throw new Error("the controller's config allows both");

const inferRequest = (modelName: string) =>
  toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, { modelName, id: "r" }));
/** `model_name: ""` written on the wire, as clients that serialise set fields do (protobufjs, as recorded). */
const EMPTY_NAME_ON_WIRE = new Uint8Array([0x0a, 0x00, ...inferRequest("")]);

type Headers = Record<string, string | Buffer | readonly string[]>;

function headers(entries: Headers): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) {
    for (const v of Array.isArray(value) ? value : [value]) metadata.add(key, v);
  }
  return metadata;
}

function refusal(run: () => unknown): { code: status; message: string } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (!(error instanceof MeshStatus)) throw error;
    return { code: error.code, message: error.message };
  }
}

describe("requestedModel", () => {
  it("takes model_name as a vmodel id and ignores the routing headers (S9 A, B, H)", () => {
    const cases: Headers[] = [{}, { "mm-vmodel-id": "nosuch" }, { "mm-model-id": "iris__isvc-0000000001" }];
    for (const h of cases) {
      expect(requestedModel(INFER, headers(h), inferRequest("iris"))).toEqual({ id: "iris", isVModel: true });
    }
    // Both headers would be refused, but model_name decides before they are read.
    expect(
      requestedModel(INFER, headers({ "mm-vmodel-id": "a", "mm-model-id": "b" }), inferRequest("iris")),
    ).toEqual({ id: "iris", isVModel: true });
  });

  it("answers an empty model_name on the wire with the vmodel-id error, whatever the headers (S9 H)", () => {
    const cases: Headers[] = [{}, { "mm-vmodel-id": "iris" }, { "mm-vmodel-id": "iris", "mm-model-id": "x" }];
    for (const h of cases) {
      expect(refusal(() => requestedModel(INFER, headers(h), EMPTY_NAME_ON_WIRE))).toEqual({
        code: status.INVALID_ARGUMENT,
        message: "provided vmodel-id header must be non-empty",
      });
    }
  });

  it("falls back to the headers when the request has no model_name field", () => {
    const noName = inferRequest("");
    expect(requestedModel(INFER, headers({ "mm-vmodel-id": "iris" }), noName)).toEqual({
      id: "iris",
      isVModel: true,
    });
    expect(refusal(() => requestedModel(INFER, headers({}), noName))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: "must include mm-model-id header",
    });
  });

  it("routes methods without an extraction path by headers, ASCII or -bin, with model-mesh's errors", () => {
    const body = new Uint8Array();
    expect(requestedModel(READY, headers({ "mm-model-id": "m__isvc-1" }), body)).toEqual({
      id: "m__isvc-1",
      isVModel: false,
    });
    expect(requestedModel(READY, headers({ "mm-vmodel-id-bin": Buffer.from("modèle") }), body)).toEqual({
      id: "modèle",
      isVModel: true,
    });
    expect(requestedModel(READY, headers({ "tas-model-id": "legacy" }), body)).toEqual({
      id: "legacy",
      isVModel: false,
    });
    // The ASCII header wins over its -bin twin.
    expect(
      requestedModel(READY, headers({ "mm-model-id": "ascii", "mm-model-id-bin": Buffer.from("bin") }), body),
    ).toEqual({ id: "ascii", isVModel: false });
    expect(
      refusal(() => requestedModel(READY, headers({ "mm-vmodel-id": "a", "mm-model-id": "b" }), body)),
    ).toEqual({ code: status.INVALID_ARGUMENT, message: "must include only one of model id and vmodel id" });
    expect(refusal(() => requestedModel(READY, headers({}), body))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: "must include mm-model-id header",
    });
    expect(refusal(() => requestedModel(READY, headers({ "mm-model-id": "" }), body))?.message).toBe(
      "provided model-id header must be non-empty",
    );
    expect(refusal(() => requestedModel(READY, headers({ "mm-vmodel-id": "" }), body))?.message).toBe(
      "provided vmodel-id header must be non-empty",
    );
    expect(refusal(() => requestedModel(READY, headers({ "mm-model-id": ["a", "b"] }), body))?.code).toBe(
      status.UNIMPLEMENTED,
    );
  });

  it("answers a request that is no protobuf message as grpc-java answers a failing listener", () => {
    expect(refusal(() => requestedModel(INFER, headers({}), new Uint8Array([0x0a, 0x05, 0x61])))).toEqual({
      code: status.UNKNOWN,
      message: "Application error processing RPC",
    });
  });
});

describe("runtimeHeaders", () => {
  it("passes the caller's headers on without model-mesh's and gRPC's, and adds the concrete id", () => {
    const forwarded = runtimeHeaders(
      headers({
        "mm-vmodel-id": "iris",
        "mm-balanced": "true",
        "grpc-accept-encoding": "gzip",
        "user-agent": "grpc-node-js/1.14.7",
        "tas-model-id": "x",
        "x-request-id": ["a", "b"],
        "trace-bin": Buffer.from([1, 2]),
      }),
      "iris__isvc-0000000001",
    );
    expect(forwarded.getMap()).toEqual({
      "x-request-id": "a",
      "trace-bin": Buffer.from([1, 2]),
      "mm-model-id-bin": Buffer.from("iris__isvc-0000000001"),
      "mm-model-id": "iris__isvc-0000000001",
    });
    expect(forwarded.get("x-request-id")).toEqual(["a", "b"]);
    expect(runtimeHeaders(new Metadata(), "modèle").get("mm-model-id")).toEqual([]);
  });
});
