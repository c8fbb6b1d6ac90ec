import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type ModelInferRequest,
  ModelInferRequestSchema,
  ModelMetadataRequestSchema,
} from "../mlserver/gen/inference/grpc_predict_v2_pb.js";
import { extractString, ProtoWireError, spliceString } from "./proto-splicing.js";

const request = (init: Parameters<typeof create<typeof ModelInferRequestSchema>>[1]) =>
  toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, init));
const decoded = (bytes: Uint8Array): ModelInferRequest => fromBinary(ModelInferRequestSchema, bytes);

const INPUTS = [
  {
    name: "input-0",
    datatype: "FP32",
    shape: [1n, 4n],
    contents: { fp32Contents: [5.1, 3.5, 1.4, 0.2] },
  },
  { name: "input-1", datatype: "INT64", shape: [1n], contents: { int64Contents: [7n] } },
];

describe("extractString", () => {
  it("reads model_name (field 1) wherever it sits among the other fields", () => {
    const bytes = request({ id: "req-1", modelName: "iris", modelVersion: "3", inputs: INPUTS });
    expect(extractString(bytes, [1])).toBe("iris");
    // A field written after the others is found as well (field order on the wire is free).
    const last = new Uint8Array([...request({ id: "x", inputs: INPUTS }), 0x0a, 0x02, 0x69, 0x64]);
    expect(extractString(last, [1])).toBe("id");
  });

  it("answers undefined for an absent field, and the empty string for a present empty one", () => {
    expect(extractString(request({ inputs: INPUTS }), [1])).toBeUndefined();
    expect(extractString(new Uint8Array([0x0a, 0x00]), [1])).toBe("");
  });

  it("descends into embedded messages and takes the first occurrence at each level", () => {
    const bytes = request({ modelName: "m", inputs: INPUTS });
    expect(extractString(bytes, [5, 1])).toBe("input-0");
    expect(extractString(bytes, [5, 2])).toBe("FP32");
    // The first input has no field 9: the search does not go on into the second input.
    expect(extractString(bytes, [5, 9])).toBeUndefined();
  });

  it("decodes UTF-8", () => {
    expect(extractString(request({ modelName: "modèle-π" }), [1])).toBe("modèle-π");
  });

  it("refuses a path whose field is not length-delimited, truncated bytes and empty paths", () => {
    // Field 1 as a varint.
    expect(() => extractString(new Uint8Array([0x08, 0x01]), [1])).toThrow(ProtoWireError);
    expect(() => extractString(request({ modelName: "iris" }).subarray(0, 3), [1])).toThrow(
      "truncated message",
    );
    // Field 2 as a group (wire type 3), which protobuf 3 no longer writes.
    expect(() => extractString(new Uint8Array([0x13]), [1])).toThrow("unsupported wire type 3");
    expect(() => extractString(new Uint8Array(), [])).toThrow(RangeError);
  });
});

describe("spliceString", () => {
  it("replaces model_name and keeps every other field byte for byte", () => {
    const original = request({ id: "req-1", modelName: "iris", parameters: {}, inputs: INPUTS });
    const spliced = spliceString(original, [1], "iris__isvc-0000000001");
    expect(decoded(spliced)).toEqual({ ...decoded(original), modelName: "iris__isvc-0000000001" });
    expect(extractString(spliced, [1])).toBe("iris__isvc-0000000001");
    // The input is not changed.
    expect(extractString(original, [1])).toBe("iris");
  });

  it("appends the field when the message does not have it", () => {
    const original = request({ inputs: INPUTS });
    const spliced = spliceString(original, [1], "concrete");
    expect(spliced.subarray(0, original.length)).toEqual(original);
    expect(decoded(spliced)).toEqual({ ...decoded(original), modelName: "concrete" });
    expect(spliceString(new Uint8Array(), [1], "a")).toEqual(new Uint8Array([0x0a, 0x01, 0x61]));
  });

  it("rewrites a field inside an embedded message and grows the enclosing length past a varint byte", () => {
    const original = request({ modelName: "m", inputs: INPUTS });
    const long = "n".repeat(200);
    const spliced = spliceString(original, [5, 1], long);
    const inputs = decoded(spliced).inputs;
    expect(inputs.map((i) => i.name)).toEqual([long, "input-1"]);
    expect(inputs[0]?.contents?.fp32Contents).toEqual(decoded(original).inputs[0]?.contents?.fp32Contents);
    // Back to a short name: the length prefix shrinks again.
    expect(decoded(spliceString(spliced, [5, 1], "x")).inputs.map((i) => i.name)).toEqual(["x", "input-1"]);
  });

  it("creates the missing embedded messages of a path", () => {
    const spliced = spliceString(request({ modelName: "m" }), [5, 1], "made");
    expect(decoded(spliced).inputs.map((i) => i.name)).toEqual(["made"]);
    // A three-level path into nothing builds all three levels.
    expect(spliceString(new Uint8Array(), [1, 2, 3], "v")).toEqual(
      new Uint8Array([0x0a, 0x05, 0x12, 0x03, 0x1a, 0x01, 0x76]),
    );
  });

  it("sets ModelMetadataRequest.name the same way", () => {
    const bytes = toBinary(
      ModelMetadataRequestSchema,
      create(ModelMetadataRequestSchema, { name: "iris", version: "1" }),
    );
    expect(fromBinary(ModelMetadataRequestSchema, spliceString(bytes, [1], "iris__x"))).toMatchObject({
      name: "iris__x",
      version: "1",
    });
  });

  it("refuses a message whose field at the path is not length-delimited", () => {
    expect(() => spliceString(new Uint8Array([0x08, 0x01]), [1], "x")).toThrow(ProtoWireError);
  });
});
