import { create } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  type ModelInferRequest,
  ModelInferResponseSchema,
  ModelMetadataResponseSchema,
} from "./gen/inference/grpc_predict_v2_pb.js";
import {
  goFloat32,
  goFloat64,
  grpcErrorReply,
  inferResponseReply,
  metadataResponseReply,
  type RestReply,
  restCall,
} from "./v2-rest.js";

function inferRequest(body: unknown, url = "/v2/models/my-model/infer"): ModelInferRequest {
  const call = restCall("POST", url, typeof body === "string" ? body : JSON.stringify(body));
  if (!("method" in call) || call.method !== "ModelInfer")
    throw new Error(`not an infer call: ${JSON.stringify(call)}`);
  return call.request;
}

function rejected(body: unknown): RestReply & { json: { code: number; message: string } } {
  const call = restCall("POST", "/v2/models/m/infer", typeof body === "string" ? body : JSON.stringify(body));
  if ("method" in call) throw new Error("expected an error reply");
  return { ...call, json: JSON.parse(call.body) };
}

function tensor(datatype: string, shape: number[], data: unknown, parameters?: unknown) {
  return { inputs: [{ name: "x", datatype, shape, data, ...(parameters ? { parameters } : {}) }] };
}

describe("routing as rest-proxy's grpc-gateway bindings", () => {
  it("maps the infer and metadata paths, with and without a version, to their gRPC calls", () => {
    expect(inferRequest({}, "/v2/models/m/infer")).toMatchObject({ modelName: "m", modelVersion: "" });
    expect(inferRequest({}, "/v2/models/m/versions/3/infer")).toMatchObject({
      modelName: "m",
      modelVersion: "3",
    });
    expect(restCall("GET", "/v2/models/m", "")).toMatchObject({
      method: "ModelMetadata",
      request: { name: "m", version: "" },
    });
    expect(restCall("GET", "/v2/models/m/versions/2?x=1", "")).toMatchObject({
      method: "ModelMetadata",
      request: { name: "m", version: "2" },
    });
    expect(inferRequest({}, "/v2/models/a%2Fb/infer").modelName).toBe("a/b");
  });

  it("answers a known path with another HTTP method 501 and an unknown path 404, as grpc-gateway does", () => {
    expect(restCall("GET", "/v2/models/m/infer", "")).toEqual({
      httpStatus: 501,
      body: '{"code":12,"message":"Method Not Allowed"}',
    });
    expect(restCall("POST", "/v2/models/m", "")).toMatchObject({ httpStatus: 501 });
    for (const url of [
      "/v2/models",
      "/v2/models/m/predict",
      "/v1/models/m:predict",
      "/v2/models/m/versions/1/x",
    ]) {
      expect(restCall("POST", url, "")).toEqual({
        httpStatus: 404,
        body: '{"code":5,"message":"Not Found"}',
      });
    }
  });

  it("takes the model name from the path, not from the body", () => {
    expect(inferRequest({ model_name: "other", id: "r1" }).modelName).toBe("my-model");
  });
});

describe("request JSON → ModelInferRequest", () => {
  it("takes id, requested outputs and an empty body; parameters become string, int64, bool or empty", () => {
    const request = inferRequest(
      '{"id":"r1","outputs":[{"name":"predict_proba"}],' +
        '"parameters":{"s":"text","n":2.7,"big":9007199254740993,"b":true,"none":null,"list":[1]}}',
    );
    expect(request.id).toBe("r1");
    expect(request.outputs.map((o) => o.name)).toEqual(["predict_proba"]);
    expect(request.parameters.s?.parameterChoice).toEqual({ case: "stringParam", value: "text" });
    // Go decodes the number as float64 and truncates it to int64.
    expect(request.parameters.n?.parameterChoice).toEqual({ case: "int64Param", value: 2n });
    expect(request.parameters.big?.parameterChoice).toEqual({ case: "int64Param", value: 9007199254740992n });
    expect(request.parameters.b?.parameterChoice).toEqual({ case: "boolParam", value: true });
    expect(request.parameters.none?.parameterChoice).toEqual({ case: undefined });
    expect(Object.keys(request.parameters).sort()).toEqual(["b", "big", "n", "none", "s"]);
    expect(inferRequest("").inputs).toEqual([]);
  });

  it("flattens nested FP32 data of a 2-D shape and rounds to float32", () => {
    const request = inferRequest(
      tensor(
        "FP32",
        [2, 3],
        [
          [0.1, 2, 3],
          [4, 5, 6],
        ],
      ),
    );
    const input = request.inputs[0];
    expect(input?.shape).toEqual([2n, 3n]);
    expect(input?.contents?.fp32Contents).toEqual([Math.fround(0.1), 2, 3, 4, 5, 6]);
    expect(
      inferRequest(tensor("FP32", [2, 3], [1, 2, 3, 4, 5, 6])).inputs[0]?.contents?.fp32Contents,
    ).toHaveLength(6);
  });

  it("refuses nested data that does not follow the shape, and nested data of a 1-D shape", () => {
    expect(rejected(tensor("FP64", [2, 2], [[1, 2], [3, 4], [5]]))).toMatchObject({
      httpStatus: 400,
      json: { code: status.INVALID_ARGUMENT, message: "invalid tensor data: invalid nested json arrays" },
    });
    expect(rejected(tensor("FP64", [2], [[1], [2]])).httpStatus).toBe(400);
  });

  it("keeps INT64 and UINT64 exact and checks integer types as Go's decoder does", () => {
    const big = inferRequest(
      '{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"data":[9007199254740993,-1]}]}',
    );
    expect(big.inputs[0]?.contents?.int64Contents).toEqual([9007199254740993n, -1n]);
    const uint64 = (literal: string) =>
      `{"inputs":[{"name":"x","datatype":"UINT64","shape":[1],"data":[${literal}]}]}`;
    expect(inferRequest(uint64("18446744073709551615")).inputs[0]?.contents?.uint64Contents).toEqual([
      2n ** 64n - 1n,
    ]);
    expect(rejected(uint64("18446744073709551616")).json.message).toMatch(/overflows UINT64/);
    expect(inferRequest(tensor("INT8", [2], [1, -2])).inputs[0]?.contents?.intContents).toEqual([1, -2]);
    expect(inferRequest(tensor("UINT16", [1], [7])).inputs[0]?.contents?.uintContents).toEqual([7]);
    expect(rejected(tensor("INT32", [1], [1.5])).httpStatus).toBe(400);
    expect(rejected(tensor("INT32", [1], [2 ** 31])).json.message).toMatch(/overflows INT32/);
    expect(rejected(tensor("UINT32", [1], [-1])).httpStatus).toBe(400);
    expect(inferRequest(tensor("BOOL", [2], [true, false])).inputs[0]?.contents?.boolContents).toEqual([
      true,
      false,
    ]);
  });

  it("reads BYTES as UTF-8 strings, as base64 with content_type base64, or as arrays of byte values", () => {
    const utf8 = inferRequest(tensor("BYTES", [2], ["hé", "x"])).inputs[0]?.contents?.bytesContents;
    expect(utf8?.map((b) => Buffer.from(b).toString("utf8"))).toEqual(["hé", "x"]);
    const b64 = inferRequest(tensor("BYTES", [1], ["aGk="], { content_type: "base64" })).inputs[0];
    expect(Buffer.from(b64?.contents?.bytesContents[0] ?? []).toString()).toBe("hi");
    expect(b64?.parameters.content_type?.parameterChoice).toEqual({ case: "stringParam", value: "base64" });
    const arrays = inferRequest(tensor("BYTES", [1], [[104, 105]])).inputs[0]?.contents?.bytesContents;
    expect(arrays?.map((b) => [...b])).toEqual([[104, 105]]);
    expect(rejected(tensor("BYTES", [1], ["a", "b"])).json.message).toBe(
      "more strings than expected for tensor shape",
    );
    expect(rejected(tensor("BYTES", [1], ["!!"], { content_type: "b64" })).httpStatus).toBe(400);
  });

  it("refuses FP16, unknown datatypes and malformed JSON with INVALID_ARGUMENT", () => {
    expect(rejected(tensor("FP16", [1], [1])).json).toEqual({
      code: status.INVALID_ARGUMENT,
      message: "FP16 tensors not supported (response tensor x)",
    });
    expect(rejected(tensor("COMPLEX", [1], [1])).json.message).toBe("unsupported datatype: COMPLEX");
    expect(rejected("{").httpStatus).toBe(400);
    expect(rejected({ inputs: {} }).httpStatus).toBe(400);
    // Requested outputs go into the generated Go struct, where a parameter value cannot be a plain value.
    expect(rejected({ outputs: [{ name: "p", parameters: { a: "b" } }] }).httpStatus).toBe(400);
  });

  it("always sets a tensor's contents, even without data", () => {
    const input = inferRequest({ inputs: [{ name: "x", datatype: "FP32", shape: [0] }] }).inputs[0];
    expect(input?.contents).toBeDefined();
    expect(input?.contents?.fp32Contents).toEqual([]);
  });
});

describe("ModelInferResponse → rest-proxy's JSON", () => {
  it("writes contents as data in Go's field order, leaving empty fields out and sorting parameter keys", () => {
    const response = create(ModelInferResponseSchema, {
      modelName: "m__isvc-1",
      id: "r1",
      outputs: [
        {
          name: "predict",
          datatype: "INT64",
          shape: [3n, 1n],
          parameters: {
            z: { parameterChoice: { case: "boolParam", value: false } },
            content_type: { parameterChoice: { case: "stringParam", value: "np" } },
          },
          contents: { int64Contents: [0n, 4n, 9007199254740993n] },
        },
      ],
    });
    expect(inferResponseReply(response)).toEqual({
      httpStatus: 200,
      body:
        '{"model_name":"m__isvc-1","id":"r1","outputs":[{"name":"predict","datatype":"INT64","shape":[3,1],' +
        '"parameters":{"content_type":"np","z":false},"data":[0,4,9007199254740993]}]}',
    });
  });

  it("writes FP32 in its shortest float32 form, and an output without values as null data", () => {
    const response = create(ModelInferResponseSchema, {
      modelName: "m",
      modelVersion: "1",
      parameters: { n: { parameterChoice: { case: "int64Param", value: 5n } } },
      outputs: [
        {
          name: "p",
          datatype: "FP32",
          shape: [2n],
          contents: { fp32Contents: [Math.fround(0.1), Math.fround(1e-7)] },
        },
        { name: "e", datatype: "FP64", shape: [0n] },
      ],
    });
    expect(inferResponseReply(response).body).toBe(
      '{"model_name":"m","model_version":"1","parameters":{"n":5},"outputs":[' +
        '{"name":"p","datatype":"FP32","shape":[2],"data":[0.1,1e-7]},{"name":"e","datatype":"FP64","shape":[0],"data":null}]}',
    );
  });

  it("writes BYTES contents as base64 strings and marks them content_type base64", () => {
    const response = create(ModelInferResponseSchema, {
      outputs: [
        { name: "b", datatype: "BYTES", shape: [1n], contents: { bytesContents: [Buffer.from("hi")] } },
      ],
    });
    expect(inferResponseReply(response).body).toBe(
      '{"outputs":[{"name":"b","datatype":"BYTES","shape":[1],"parameters":{"content_type":"base64"},"data":["aGk="]}]}',
    );
  });

  it("decodes raw_output_contents little-endian; UINT8 comes out as a base64 string, as Go writes []uint8", () => {
    const fp32 = Buffer.alloc(8);
    fp32.writeFloatLE(1.5, 0);
    fp32.writeFloatLE(-2, 4);
    const bytes = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from("hi"), Buffer.from([0, 0, 0, 0])]);
    const response = create(ModelInferResponseSchema, {
      outputs: [
        { name: "f", datatype: "FP32", shape: [2n] },
        { name: "u", datatype: "UINT8", shape: [2n] },
        { name: "s", datatype: "BYTES", shape: [2n] },
      ],
      rawOutputContents: [fp32, Buffer.from([1, 2]), bytes],
    });
    const outputs = JSON.parse(inferResponseReply(response).body).outputs;
    expect(outputs.map((o: { data: unknown }) => o.data)).toEqual([[1.5, -2], "AQI=", ["aGk=", ""]]);
  });

  it("answers a response it cannot write with grpc-gateway's 500 (code UNKNOWN)", () => {
    const short = create(ModelInferResponseSchema, {
      outputs: [{ name: "f", datatype: "FP64", shape: [2n] }],
      rawOutputContents: [Buffer.alloc(8)],
    });
    expect(inferResponseReply(short)).toEqual({
      httpStatus: 500,
      body: '{"code":2,"message":"unexpected end of raw tensor bytes"}',
    });
    const fp16 = create(ModelInferResponseSchema, {
      outputs: [{ name: "h", datatype: "FP16", shape: [1n] }],
    });
    expect(inferResponseReply(fp16).httpStatus).toBe(500);
  });

  it("escapes <, > and & in strings as Go's encoding/json does", () => {
    const response = create(ModelInferResponseSchema, { id: "<a&b>" });
    expect(inferResponseReply(response).body).toBe('{"id":"\\u003ca\\u0026b\\u003e"}');
  });
});

describe("ModelMetadataResponse and errors", () => {
  it("writes metadata as protojson: int64 shapes as strings, empty fields left out", () => {
    const response = create(ModelMetadataResponseSchema, {
      name: "m",
      inputs: [{ name: "x", datatype: "FP32", shape: [-1n, 64n] }],
    });
    expect(metadataResponseReply(response)).toEqual({
      httpStatus: 200,
      body: '{"name":"m","inputs":[{"name":"x","datatype":"FP32","shape":["-1","64"]}]}',
    });
  });

  it("maps gRPC codes to grpc-gateway's HTTP statuses with a {code, message} body", () => {
    expect(grpcErrorReply(status.NOT_FOUND, "vmodel not found")).toEqual({
      httpStatus: 404,
      body: '{"code":5,"message":"vmodel not found"}',
    });
    expect(grpcErrorReply(status.INVALID_ARGUMENT, "x").httpStatus).toBe(400);
    expect(grpcErrorReply(status.INTERNAL, "x").httpStatus).toBe(500);
    expect(grpcErrorReply(status.UNAVAILABLE, "x").httpStatus).toBe(503);
    expect(grpcErrorReply(status.DEADLINE_EXCEEDED, "x").httpStatus).toBe(504);
  });

  it("formats floats as Go's encoding/json", () => {
    expect(goFloat32(Math.fround(0.1))).toBe("0.1");
    expect(goFloat32(16777216)).toBe("16777216");
    expect(goFloat32(Math.fround(3.4028234663852886e38))).toBe("3.4028235e+38");
    expect(goFloat32(-0)).toBe("-0");
    expect(goFloat64(1e21)).toBe("1e+21");
    expect(goFloat64(1e-7)).toBe("1e-7");
    expect(goFloat64(0.1)).toBe("0.1");
  });
});
