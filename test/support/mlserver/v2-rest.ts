/**
 * TEST/SANDBOX INFRASTRUCTURE — never shipped. The KServe v2 REST ↔ gRPC translation that kserve/rest-proxy
 * does in front of model-mesh (grpc-gateway over grpc_predict_v2.proto, with the custom JSON of
 * proxy/request.go, proxy/marshaler.go and proxy/bytes.go), as pure functions:
 *
 * - `restCall` maps `POST /v2/models/<name>[/versions/<v>]/infer` to a `ModelInferRequest` (tensor `data` into
 *   the typed `contents`, nested arrays flattened) and `GET /v2/models/<name>[/versions/<v>]` to a
 *   `ModelMetadataRequest`; anything else is grpc-gateway's routing error.
 * - `inferResponseReply` writes a `ModelInferResponse` as rest-proxy's JSON (`contents` or `raw_output_contents`
 *   into `data`, Go's field order and `omitempty`), `metadataResponseReply` as protojson (int64 shapes as
 *   strings, empty fields left out), `grpcErrorReply` as grpc-gateway's `{"code","message"}` with its HTTP status.
 */
import { create, toJsonString } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import { type LosslessJson, parseLosslessJson } from "../../../src/lib/lossless-json.js";
import {
  type InferParameter,
  InferParameterSchema,
  type InferTensorContents,
  InferTensorContentsSchema,
  type ModelInferRequest,
  type ModelInferRequest_InferInputTensor,
  ModelInferRequest_InferInputTensorSchema,
  ModelInferRequest_InferRequestedOutputTensorSchema,
  ModelInferRequestSchema,
  type ModelInferResponse,
  type ModelInferResponse_InferOutputTensor,
  type ModelMetadataRequest,
  ModelMetadataRequestSchema,
  type ModelMetadataResponse,
  ModelMetadataResponseSchema,
} from "./gen/inference/grpc_predict_v2_pb.js";

export type RestCall =
  | { readonly method: "ModelInfer"; readonly request: ModelInferRequest }
  | { readonly method: "ModelMetadata"; readonly request: ModelMetadataRequest };

/** An HTTP answer: status and JSON body. */
export interface RestReply {
  readonly httpStatus: number;
  readonly body: string;
}

/** A request or response that cannot be translated; `code` decides the HTTP status as for a gRPC error. */
export class RestTranslationError extends Error {
  override readonly name = "RestTranslationError";
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

type TensorType = "BOOL" | "UINT" | "UINT64" | "INT" | "INT64" | "FP32" | "FP64" | "BYTES";

/** Which `InferTensorContents` list holds each v2 datatype (proxy/request.go targetArray). */
const CONTENTS_OF: Readonly<Record<string, TensorType>> = {
  BOOL: "BOOL",
  UINT8: "UINT",
  UINT16: "UINT",
  UINT32: "UINT",
  UINT64: "UINT64",
  INT8: "INT",
  INT16: "INT",
  INT32: "INT",
  INT64: "INT64",
  FP32: "FP32",
  FP64: "FP64",
  BYTES: "BYTES",
};

/** Element size in bytes in `raw_output_contents` (proxy/marshaler.go tensorTypes). */
const RAW_SIZE: Readonly<Record<string, number>> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP32: 4,
  FP64: 8,
  BYTES: 1,
};

// ---------------------------------------------------------------------------------------------------------------
// Routing (the google.api.http bindings of rest-proxy's grpc_predict_v2.proto)

/** The gRPC call for an HTTP request, or grpc-gateway's answer when the request maps to none or is malformed. */
export function restCall(httpMethod: string, url: string, body: string): RestCall | RestReply {
  const segments = pathSegments(url);
  const route = segments && matchRoute(segments);
  if (!route) return grpcErrorReply(status.NOT_FOUND, "Not Found");
  if (httpMethod !== route.httpMethod) return grpcErrorReply(status.UNIMPLEMENTED, "Method Not Allowed");
  if (route.method === "ModelMetadata") {
    return {
      method: "ModelMetadata",
      request: create(ModelMetadataRequestSchema, { name: route.name, version: route.version }),
    };
  }
  try {
    const request = inferRequestFromJson(body);
    // grpc-gateway sets the path parameters after decoding the body, so they win over the body's.
    request.modelName = route.name;
    request.modelVersion = route.version;
    return { method: "ModelInfer", request };
  } catch (error) {
    if (error instanceof RestTranslationError) return grpcErrorReply(error.code, error.message);
    throw error;
  }
}

interface Route {
  readonly method: "ModelInfer" | "ModelMetadata";
  readonly httpMethod: "POST" | "GET";
  readonly name: string;
  readonly version: string;
}

function matchRoute(s: readonly string[]): Route | undefined {
  if (s[0] !== "v2" || s[1] !== "models" || !s[2]) return undefined;
  const name = s[2];
  if (s.length === 3) return { method: "ModelMetadata", httpMethod: "GET", name, version: "" };
  if (s.length === 4 && s[3] === "infer")
    return { method: "ModelInfer", httpMethod: "POST", name, version: "" };
  if (s[3] !== "versions" || !s[4]) return undefined;
  if (s.length === 5) return { method: "ModelMetadata", httpMethod: "GET", name, version: s[4] };
  if (s.length === 6 && s[5] === "infer")
    return { method: "ModelInfer", httpMethod: "POST", name, version: s[4] };
  return undefined;
}

function pathSegments(url: string): string[] | undefined {
  const pathname = new URL(url, "http://rest-proxy").pathname;
  try {
    return pathname.replace(/^\//, "").split("/").map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Request: JSON → ModelInferRequest (proxy/request.go)

function inferRequestFromJson(body: string): ModelInferRequest {
  const request = create(ModelInferRequestSchema);
  // An empty body is no error for grpc-gateway (io.EOF): a request without inputs.
  if (body.trim() === "") return request;
  let json: LosslessJson;
  try {
    json = parseLosslessJson(body);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  if (json === null) return request;
  const top = asObject(json, "request body");
  if (top.id !== undefined && top.id !== null) request.id = asString(top.id, "id");
  if (top.parameters !== undefined) request.parameters = parameterMap(top.parameters, "parameters");
  if (top.inputs !== undefined && top.inputs !== null) {
    request.inputs = asArray(top.inputs, "inputs").map((input, i) => inputTensor(input, `inputs[${i}]`));
  }
  if (top.outputs !== undefined && top.outputs !== null) {
    request.outputs = asArray(top.outputs, "outputs").map((output, i) => {
      const o = asObject(output, `outputs[${i}]`);
      return create(ModelInferRequest_InferRequestedOutputTensorSchema, {
        name: o.name === undefined || o.name === null ? "" : asString(o.name, `outputs[${i}].name`),
        parameters: outputParameters(o.parameters, `outputs[${i}].parameters`),
      });
    });
  }
  return request;
}

function inputTensor(value: LosslessJson, where: string): ModelInferRequest_InferInputTensor {
  const t = asObject(value, where);
  const name = t.name === undefined || t.name === null ? "" : asString(t.name, `${where}.name`);
  const datatype =
    t.datatype === undefined || t.datatype === null ? "" : asString(t.datatype, `${where}.datatype`);
  const shape =
    t.shape === undefined || t.shape === null
      ? []
      : asArray(t.shape, `${where}.shape`).map((d) => BigInt(integer(d, "INT64", `${where}.shape`)));
  const parameters = t.parameters === undefined ? {} : parameterMap(t.parameters, `${where}.parameters`);
  if (datatype === "FP16") throw invalid(`FP16 tensors not supported (response tensor ${name})`);
  const type = CONTENTS_OF[datatype];
  if (!type) throw invalid(`unsupported datatype: ${datatype}`);
  const contents = create(InferTensorContentsSchema);
  if (t.data !== undefined) {
    if (type === "BYTES") {
      const base64 = isBase64Content(parameters);
      contents.bytesContents = bytesData(t.data, shape, base64, `${where}.data`);
    } else {
      fillContents(contents, type, numericData(t.data, shape, `${where}.data`), `${where}.data`);
    }
  }
  return create(ModelInferRequest_InferInputTensorSchema, { name, datatype, shape, parameters, contents });
}

/** Flattens tensor data as rest-proxy's tensorDataUnmarshaller: flat, or nested exactly to the shape's depth. */
function numericData(data: LosslessJson, shape: readonly bigint[], where: string): LosslessJson[] {
  if (data === null) {
    if (shape.length <= 1) return [];
    throw invalid("invalid tensor data: not a json array");
  }
  const top = asArray(data, where);
  if (shape.length <= 1 || !Array.isArray(top[0])) {
    if (top.some(Array.isArray))
      throw invalid(`${where}: nested arrays need a shape of two or more dimensions`);
    return top;
  }
  const flat: LosslessJson[] = [];
  let arrays = 0;
  const walk = (v: LosslessJson) => {
    if (Array.isArray(v)) {
      arrays++;
      for (const e of v) walk(e);
    } else flat.push(v);
  };
  walk(top);
  if (arrays !== expectedArrayCount(shape)) throw invalid("invalid tensor data: invalid nested json arrays");
  return flat;
}

/** The number of JSON arrays in data nested to `shape` (proxy/request.go expectedBracketCount). */
function expectedArrayCount(shape: readonly bigint[]): number {
  let product = 1;
  let sum = 1;
  for (let i = 0; i < shape.length - 1; i++) {
    product *= Number(shape[i]);
    sum += product;
  }
  return sum;
}

function fillContents(
  contents: InferTensorContents,
  type: TensorType,
  values: LosslessJson[],
  where: string,
) {
  switch (type) {
    case "BOOL":
      contents.boolContents = values.map((v) => {
        if (v === null) return false;
        if (typeof v !== "boolean") throw invalid(`${where}: cannot use ${describe(v)} as a BOOL`);
        return v;
      });
      return;
    case "FP32":
      contents.fp32Contents = values.map((v) => Math.fround(float(v, where)));
      return;
    case "FP64":
      contents.fp64Contents = values.map((v) => float(v, where));
      return;
    case "INT":
      contents.intContents = values.map((v) => Number(integer(v, "INT32", where)));
      return;
    case "UINT":
      contents.uintContents = values.map((v) => Number(integer(v, "UINT32", where)));
      return;
    case "INT64":
      contents.int64Contents = values.map((v) => integer(v, "INT64", where));
      return;
    case "UINT64":
      contents.uint64Contents = values.map((v) => integer(v, "UINT64", where));
      return;
    case "BYTES":
      throw new Error("BYTES data is decoded by bytesData");
  }
}

const INTEGER_RANGE = {
  INT32: [-(2n ** 31n), 2n ** 31n - 1n],
  UINT32: [0n, 2n ** 32n - 1n],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
} as const;

/** An integer literal that fits the Go type rest-proxy decodes into (as json.Unmarshal checks). */
function integer(v: LosslessJson, type: keyof typeof INTEGER_RANGE, where: string): bigint {
  if (v === null) return 0n;
  if (typeof v !== "bigint" && !(typeof v === "number" && Number.isInteger(v))) {
    throw invalid(`${where}: cannot use ${describe(v)} as an integer`);
  }
  const value = BigInt(v);
  const [min, max] = INTEGER_RANGE[type];
  if (value < min || value > max) throw invalid(`${where}: ${value} overflows ${type}`);
  return value;
}

function float(v: LosslessJson, where: string): number {
  if (v === null) return 0;
  if (typeof v === "bigint") return Number(v);
  if (typeof v !== "number") throw invalid(`${where}: cannot use ${describe(v)} as a number`);
  return v;
}

/** BYTES data: strings (UTF-8, or base64 with content_type base64) or arrays of byte values (proxy/bytes.go). */
function bytesData(
  data: LosslessJson,
  shape: readonly bigint[],
  base64: boolean,
  where: string,
): Uint8Array[] {
  let depth = 0;
  let first: LosslessJson = data;
  while (Array.isArray(first)) {
    depth++;
    first = first[0] ?? null;
  }
  if (depth === 0) throw invalid("invalid tensor data: not a json array");
  const flatten = (v: LosslessJson, levels: number): LosslessJson[] =>
    levels === 0 || !Array.isArray(v) ? [v] : v.flatMap((e) => flatten(e, levels - 1));
  if (typeof first === "string") {
    if (depth !== 1 && depth !== shape.length)
      throw invalid("data array nesting does not match tensor shape");
    const strings = flatten(data, Number.POSITIVE_INFINITY);
    if (strings.length > elementCount(shape)) throw invalid("more strings than expected for tensor shape");
    return strings.map((s) => {
      if (typeof s !== "string") throw invalid("tensor data must be a flat or nested json array of strings");
      return base64 ? decodeBase64(s) : new TextEncoder().encode(s);
    });
  }
  if (depth <= 1) throw invalid("invalid tensor data: must be an array of byte arrays");
  if (depth > 2 && depth - 1 !== shape.length) {
    throw invalid("invalid tensor data: array nesting does not match tensor shape");
  }
  return flatten(data, depth - 1).map((element) =>
    Uint8Array.from(
      asArray(element, where).map((b) => {
        const value = Number(integer(b, "UINT32", where));
        if (value > 255) throw invalid(`${where}: ${value} overflows uint8`);
        return value;
      }),
    ),
  );
}

function decodeBase64(s: string): Uint8Array {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw invalid("error decoding json string as base64: illegal base64 data");
  }
  return Uint8Array.from(Buffer.from(s, "base64"));
}

function isBase64Content(parameters: Record<string, InferParameter>): boolean {
  const choice = parameters.content_type?.parameterChoice;
  const contentType = choice?.case === "stringParam" ? choice.value : "";
  return ["base64", "b64", "BASE64", "B64"].includes(contentType);
}

/** rest-proxy's parameterMap: string, number (truncated to int64), bool and null; arrays and objects dropped. */
function parameterMap(value: LosslessJson, where: string): Record<string, InferParameter> {
  if (value === null) return {};
  const map: Record<string, InferParameter> = {};
  for (const [key, v] of Object.entries(asObject(value, where))) {
    if (typeof v === "string") {
      map[key] = create(InferParameterSchema, { parameterChoice: { case: "stringParam", value: v } });
    } else if (typeof v === "number" || typeof v === "bigint") {
      // Go decodes the number as float64 (rounding beyond 2^53), then converts it to int64.
      const value = BigInt(Math.trunc(Number(v)));
      map[key] = create(InferParameterSchema, { parameterChoice: { case: "int64Param", value } });
    } else if (typeof v === "boolean") {
      map[key] = create(InferParameterSchema, { parameterChoice: { case: "boolParam", value: v } });
    } else if (v === null) map[key] = create(InferParameterSchema);
  }
  return map;
}

/**
 * Requested outputs are decoded straight into the generated Go struct, where a parameter is a struct whose
 * oneof has no JSON form: an object decodes to an empty parameter, a plain value is an error.
 */
function outputParameters(value: LosslessJson | undefined, where: string): Record<string, InferParameter> {
  if (value === undefined || value === null) return {};
  const map: Record<string, InferParameter> = {};
  for (const [key, v] of Object.entries(asObject(value, where))) {
    if (v !== null && (typeof v !== "object" || Array.isArray(v))) {
      throw invalid(
        `json: cannot unmarshal ${describe(v)} into Go struct field of type inference.InferParameter`,
      );
    }
    map[key] = create(InferParameterSchema);
  }
  return map;
}

// ---------------------------------------------------------------------------------------------------------------
// Responses: gRPC → JSON (proxy/marshaler.go)

/** rest-proxy's JSON of a `ModelInferResponse`; a response it cannot write is grpc-gateway's 500. */
export function inferResponseReply(response: ModelInferResponse): RestReply {
  try {
    return { httpStatus: 200, body: inferResponseJson(response) };
  } catch (error) {
    if (error instanceof RestTranslationError) return grpcErrorReply(error.code, error.message);
    throw error;
  }
}

/** grpc-gateway's protojson of a `ModelMetadataResponse`. */
export function metadataResponseReply(response: ModelMetadataResponse): RestReply {
  return { httpStatus: 200, body: toJsonString(ModelMetadataResponseSchema, response) };
}

/** grpc-gateway's error body (`google.rpc.Status` as protojson, empty fields left out) and HTTP status. */
export function grpcErrorReply(code: status, message: string): RestReply {
  const body: Record<string, unknown> = {};
  if (code !== status.OK) body.code = code;
  if (message !== "") body.message = message;
  return { httpStatus: httpStatusOf(code), body: JSON.stringify(body) };
}

/** grpc-gateway's runtime.HTTPStatusFromCode. */
export function httpStatusOf(code: status): number {
  const map: Record<number, number> = {
    [status.OK]: 200,
    [status.CANCELLED]: 499,
    [status.UNKNOWN]: 500,
    [status.INVALID_ARGUMENT]: 400,
    [status.DEADLINE_EXCEEDED]: 504,
    [status.NOT_FOUND]: 404,
    [status.ALREADY_EXISTS]: 409,
    [status.PERMISSION_DENIED]: 403,
    [status.UNAUTHENTICATED]: 401,
    [status.RESOURCE_EXHAUSTED]: 429,
    [status.FAILED_PRECONDITION]: 400,
    [status.ABORTED]: 409,
    [status.OUT_OF_RANGE]: 400,
    [status.UNIMPLEMENTED]: 501,
    [status.INTERNAL]: 500,
    [status.UNAVAILABLE]: 503,
    [status.DATA_LOSS]: 500,
  };
  return map[code] ?? 500;
}

function inferResponseJson(r: ModelInferResponse): string {
  const fields: string[] = [];
  if (r.modelName !== "") fields.push(`"model_name":${goString(r.modelName)}`);
  if (r.modelVersion !== "") fields.push(`"model_version":${goString(r.modelVersion)}`);
  if (r.id !== "") fields.push(`"id":${goString(r.id)}`);
  const parameters = parametersJson(r.parameters);
  if (parameters) fields.push(`"parameters":${parameters}`);
  const outputs = r.outputs.map((output, index) => outputTensorJson(r, output, index));
  if (outputs.length > 0) fields.push(`"outputs":[${outputs.join(",")}]`);
  return `{${fields.join(",")}}`;
}

function outputTensorJson(
  r: ModelInferResponse,
  output: ModelInferResponse_InferOutputTensor,
  index: number,
) {
  const fields: string[] = [];
  if (output.name !== "") fields.push(`"name":${goString(output.name)}`);
  if (output.datatype !== "") fields.push(`"datatype":${goString(output.datatype)}`);
  if (output.shape.length > 0) fields.push(`"shape":[${output.shape.join(",")}]`);
  const parameters: Record<string, InferParameter> = { ...output.parameters };
  if (output.datatype === "FP16") {
    throw new RestTranslationError(
      status.UNKNOWN,
      `FP16 tensors not supported (request tensor ${output.name})`,
    );
  }
  if (output.datatype === "BYTES") {
    parameters.content_type = create(InferParameterSchema, {
      parameterChoice: { case: "stringParam", value: "base64" },
    });
  }
  const parametersText = parametersJson(parameters);
  if (parametersText) fields.push(`"parameters":${parametersText}`);
  fields.push(
    `"data":${r.rawOutputContents.length > 0 ? rawDataJson(r, output, index) : contentsDataJson(output)}`,
  );
  return `{${fields.join(",")}}`;
}

/** Data from the typed contents: a Go nil slice (no values) is `null`. */
function contentsDataJson(output: ModelInferResponse_InferOutputTensor): string {
  const c = output.contents ?? create(InferTensorContentsSchema);
  const list = (values: readonly unknown[], format: (v: never) => string) =>
    values.length === 0 ? "null" : `[${values.map((v) => format(v as never)).join(",")}]`;
  switch (CONTENTS_OF[output.datatype]) {
    case "BOOL":
      return list(c.boolContents, String);
    case "UINT":
      return list(c.uintContents, String);
    case "UINT64":
      return list(c.uint64Contents, String);
    case "INT":
      return list(c.intContents, String);
    case "INT64":
      return list(c.int64Contents, String);
    case "FP32":
      return list(c.fp32Contents, goFloat32);
    case "FP64":
      return list(c.fp64Contents, goFloat64);
    case "BYTES":
      return list(c.bytesContents, (b: Uint8Array) => JSON.stringify(Buffer.from(b).toString("base64")));
    default:
      throw new RestTranslationError(
        status.UNKNOWN,
        `unsupported datatype in inference response outputs: ${output.datatype}`,
      );
  }
}

/** Data from `raw_output_contents[index]`: little-endian values, BYTES as 4-byte length-prefixed elements. */
function rawDataJson(
  r: ModelInferResponse,
  output: ModelInferResponse_InferOutputTensor,
  index: number,
): string {
  const size = RAW_SIZE[output.datatype];
  if (size === undefined) {
    throw new RestTranslationError(
      status.UNKNOWN,
      `unsupported datatype in inference response outputs: ${output.datatype}`,
    );
  }
  const raw = r.rawOutputContents[index];
  if (raw === undefined)
    throw new RestTranslationError(status.UNKNOWN, `no raw_output_contents for output ${index}`);
  const count = elementCount(output.shape);
  if (output.datatype === "BYTES") {
    return `[${splitRawBytes(raw, count)
      .map((b) => JSON.stringify(Buffer.from(b).toString("base64")))
      .join(",")}]`;
  }
  if (raw.length < count * size)
    throw new RestTranslationError(status.UNKNOWN, "unexpected end of raw tensor bytes");
  const view = new DataView(raw.buffer, raw.byteOffset, count * size);
  // Go's encoding/json writes a []uint8 as a base64 string.
  if (output.datatype === "UINT8")
    return JSON.stringify(Buffer.from(raw.subarray(0, count)).toString("base64"));
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * size;
    switch (output.datatype) {
      case "BOOL":
        values.push(String(view.getUint8(at) !== 0));
        break;
      case "INT8":
        values.push(String(view.getInt8(at)));
        break;
      case "INT16":
        values.push(String(view.getInt16(at, true)));
        break;
      case "INT32":
        values.push(String(view.getInt32(at, true)));
        break;
      case "INT64":
        values.push(String(view.getBigInt64(at, true)));
        break;
      case "UINT16":
        values.push(String(view.getUint16(at, true)));
        break;
      case "UINT32":
        values.push(String(view.getUint32(at, true)));
        break;
      case "UINT64":
        values.push(String(view.getBigUint64(at, true)));
        break;
      case "FP32":
        values.push(goFloat32(view.getFloat32(at, true)));
        break;
      case "FP64":
        values.push(goFloat64(view.getFloat64(at, true)));
        break;
    }
  }
  return `[${values.join(",")}]`;
}

function splitRawBytes(raw: Uint8Array, count: number): Uint8Array[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const elements: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > raw.length)
      throw new RestTranslationError(status.UNKNOWN, "unexpected end of raw tensor bytes");
    const length = view.getUint32(at, true);
    if (at + 4 + length > raw.length) {
      throw new RestTranslationError(status.UNKNOWN, "unexpected end of raw tensor bytes");
    }
    elements.push(raw.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (at < raw.length) throw new RestTranslationError(status.UNKNOWN, "more raw tensor bytes than expected");
  return elements;
}

/** A parameter map as Go's encoding/json writes map[string]interface{}: keys sorted; undefined when empty. */
function parametersJson(parameters: Record<string, InferParameter>): string | undefined {
  const keys = Object.keys(parameters).sort();
  if (keys.length === 0) return undefined;
  const entries = keys.map((key) => {
    const choice = parameters[key]?.parameterChoice;
    const value =
      choice?.case === "stringParam"
        ? goString(choice.value)
        : choice?.case === "int64Param" || choice?.case === "boolParam"
          ? String(choice.value)
          : "null";
    return `${goString(key)}:${value}`;
  });
  return `{${entries.join(",")}}`;
}

/** Go's encoding/json float32: the shortest decimal that reads back as the same float32. */
export function goFloat32(value: number): string {
  if (!Number.isFinite(value))
    throw new RestTranslationError(status.UNKNOWN, `json: unsupported value: ${value}`);
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return String(candidate);
  }
  return String(Number(value.toPrecision(9)));
}

/** Go's encoding/json float64 (the same shortest form and exponent thresholds as JavaScript's). */
export function goFloat64(value: number): string {
  if (!Number.isFinite(value))
    throw new RestTranslationError(status.UNKNOWN, `json: unsupported value: ${value}`);
  return Object.is(value, -0) ? "-0" : String(value);
}

/** Go's encoding/json string: also escapes <, >, & and the JavaScript line separators. */
function goString(value: string): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function elementCount(shape: readonly bigint[]): number {
  return shape.reduce((count, d) => count * Number(d), 1);
}

// ---------------------------------------------------------------------------------------------------------------

function invalid(message: string): RestTranslationError {
  return new RestTranslationError(status.INVALID_ARGUMENT, message);
}

function describe(v: LosslessJson): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "bigint") return "number";
  return typeof v === "object" ? "object" : `${typeof v} ${JSON.stringify(v)}`;
}

function asObject(v: LosslessJson, where: string): { [key: string]: LosslessJson } {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw invalid(`${where}: expected an object, got ${describe(v)}`);
  return v;
}

function asArray(v: LosslessJson, where: string): LosslessJson[] {
  if (!Array.isArray(v)) throw invalid(`${where}: expected an array, got ${describe(v)}`);
  return v;
}

function asString(v: LosslessJson, where: string): string {
  if (typeof v !== "string") throw invalid(`${where}: expected a string, got ${describe(v)}`);
  return v;
}
