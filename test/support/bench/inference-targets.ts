/**
 * The serving benchmark's clients: one KServe v2 `ModelInfer` of one input row, sent over gRPC (the request
 * encoded once and sent as bytes, on one HTTP/2 connection) or over REST (KServe v2 JSON on keep-alive
 * connections). The same code sends to MLServer and to the mesh; only the address and `model_name` differ. Every
 * answer is checked: the concrete model id in `model_name` and the expected class, else the request fails.
 *
 * The gRPC client is the emulator's raw HTTP/2 channel by default (`http2`), or a grpc-js channel (`grpc-js`),
 * which costs about twice the CPU per call: on a machine the client shares with the servers, that CPU is taken
 * from them.
 */

import { Agent, request as httpRequest } from "node:http";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { RawGrpcChannel } from "../emulator/raw-grpc-channel.js";
import { passThrough } from "../emulator/raw-methods.js";
import {
  ModelInferRequestSchema,
  ModelInferResponseSchema,
} from "../mlserver/gen/inference/grpc_predict_v2_pb.js";

/** One input row of a classifier, and what a correct answer says. */
export interface InferenceCase {
  readonly row: readonly number[];
  readonly datatype: string;
  readonly expectedClass: number;
}

export interface InferenceTarget {
  /** Sends the request once; rejects unless the answer is the expected one. */
  send(): Promise<void>;
  close(): void;
}

export type GrpcClient = "http2" | "grpc-js";
export const GRPC_CLIENTS: readonly GrpcClient[] = ["http2", "grpc-js"];

const DEADLINE_MS = 30_000;
const MODEL_INFER = "inference.GRPCInferenceService/ModelInfer";

/** One unary ModelInfer of encoded bytes, answered by the encoded response. */
interface InferChannel {
  infer(request: Buffer): Promise<Buffer>;
  close(): void;
}

/** `model_name` is what the request names (a vmodel for the mesh); `answeredBy` what the answer must name. */
export function grpcTarget(
  client: GrpcClient,
  address: string,
  modelName: string,
  answeredBy: string,
  inference: InferenceCase,
): InferenceTarget {
  const channel = inferChannel(client, address);
  const request = inferRequest(modelName, inference);
  const send = async () => {
    const answer = fromBinary(ModelInferResponseSchema, await channel.infer(request));
    const predicted = answer.outputs[0]?.contents?.int64Contents[0];
    if (answer.modelName !== answeredBy || Number(predicted) !== inference.expectedClass)
      throw new Error(`unexpected answer: ${answer.modelName} predicted ${predicted}`);
  };
  return { send, close: () => channel.close() };
}

/** `POST <baseUrl>/v2/models/<modelName>/infer` with `concurrency` keep-alive connections. */
export function restTarget(
  baseUrl: string,
  modelName: string,
  answeredBy: string,
  inference: InferenceCase,
  concurrency: number,
): InferenceTarget {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(`/v2/models/${encodeURIComponent(modelName)}/infer`, baseUrl);
  const body = JSON.stringify({
    inputs: [
      {
        name: "input-0",
        shape: [1, inference.row.length],
        datatype: inference.datatype,
        data: inference.row,
      },
    ],
  });
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
  const send = () =>
    new Promise<void>((resolve, reject) => {
      const call = httpRequest(url, { method: "POST", agent, headers, timeout: DEADLINE_MS }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode !== 200) return reject(new Error(`HTTP ${response.statusCode}: ${text}`));
          const answer = JSON.parse(text) as { model_name?: string; outputs?: { data?: unknown[] }[] };
          const predicted = answer.outputs?.[0]?.data?.[0];
          if (answer.model_name !== answeredBy || predicted !== inference.expectedClass)
            return reject(new Error(`unexpected answer: ${text}`));
          resolve();
        });
      });
      call.on("error", reject);
      call.on("timeout", () => call.destroy(new Error(`no answer within ${DEADLINE_MS} ms`)));
      call.end(body);
    });
  return { send, close: () => agent.destroy() };
}

/** The concrete model id the mesh serves `vmodel` with: the `model_name` of its answer. */
export async function servedModelId(
  meshAddress: string,
  vmodel: string,
  inference: InferenceCase,
): Promise<string> {
  const channel = inferChannel("grpc-js", meshAddress);
  try {
    return fromBinary(ModelInferResponseSchema, await channel.infer(inferRequest(vmodel, inference)))
      .modelName;
  } finally {
    channel.close();
  }
}

function inferRequest(modelName: string, inference: InferenceCase): Buffer {
  const message = create(ModelInferRequestSchema, {
    modelName,
    inputs: [
      {
        name: "input-0",
        datatype: inference.datatype,
        shape: [1n, BigInt(inference.row.length)],
        contents: { fp32Contents: [...inference.row] },
      },
    ],
  });
  return Buffer.from(toBinary(ModelInferRequestSchema, message));
}

function inferChannel(client: GrpcClient, address: string): InferChannel {
  if (client === "http2") {
    const channel = new RawGrpcChannel(address);
    return {
      infer: async (request) =>
        (await channel.unary(MODEL_INFER, new Metadata(), request, new Date(Date.now() + DEADLINE_MS)))
          .response,
      close: () => channel.close(),
    };
  }
  const channel = new Client(address, credentials.createInsecure());
  return {
    infer: (request) =>
      new Promise((resolve, reject) => {
        channel.makeUnaryRequest(
          `/${MODEL_INFER}`,
          passThrough,
          passThrough,
          request,
          new Metadata(),
          { deadline: Date.now() + DEADLINE_MS },
          (error, response) => {
            if (error) reject(new Error(`gRPC ${error.code}: ${error.details}`));
            else resolve(response ?? Buffer.alloc(0));
          },
        );
      }),
    close: () => channel.close(),
  };
}
