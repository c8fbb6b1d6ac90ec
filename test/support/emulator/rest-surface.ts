/**
 * TEST/SANDBOX INFRASTRUCTURE — part of the ModelMesh emulator. The KServe v2 REST port that kserve/rest-proxy
 * gives each runtime pod, on loopback: `POST /v2/models/<name>[/versions/<v>]/infer` and
 * `GET /v2/models/<name>[/versions/<v>]` become the gRPC call rest-proxy would send to model-mesh
 * (`test/support/mlserver/v2-rest.ts`), routed in process by `InferenceApi`, and the answer or error goes back as
 * rest-proxy writes it. Like grpc-gateway, only `Grpc-Metadata-<key>` headers become gRPC metadata (`<key>`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Metadata, status } from "@grpc/grpc-js";
import type { Logger } from "../../../src/controller-runtime/logging.js";
import {
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ModelMetadataRequestSchema,
  ModelMetadataResponseSchema,
} from "../mlserver/gen/inference/grpc_predict_v2_pb.js";
import {
  grpcErrorReply,
  inferResponseReply,
  metadataResponseReply,
  type RestCall,
  type RestReply,
  restCall,
} from "../mlserver/index.js";
import type { InferenceApi } from "./inference-api.js";
import { MeshStatus } from "./mesh-replies.js";

const SERVICE = "inference.GRPCInferenceService";
const GATEWAY_METADATA_PREFIX = "grpc-metadata-";

export interface RestSurface {
  readonly port: number;
  close(): Promise<void>;
}

export async function startRestSurface(api: InferenceApi, port: number, log: Logger): Promise<RestSurface> {
  const server: Server = createServer((request, response) => {
    answer(api, request)
      .catch((error: unknown) => {
        log.error({ url: request.url, error: String(error) }, "emulated REST inference failed");
        return grpcErrorReply(status.INTERNAL, String(error));
      })
      .then((reply) => send(response, reply));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(api: InferenceApi, request: IncomingMessage): Promise<RestReply> {
  const call = restCall(request.method ?? "GET", request.url ?? "/", await body(request));
  if ("httpStatus" in call) return call;
  try {
    return await routed(api, call, gatewayMetadata(request));
  } catch (error) {
    if (error instanceof MeshStatus) return grpcErrorReply(error.code, error.message);
    throw error;
  }
}

async function routed(api: InferenceApi, call: RestCall, metadata: Metadata): Promise<RestReply> {
  if (call.method === "ModelInfer") {
    const bytes = Buffer.from(toBinary(ModelInferRequestSchema, call.request));
    const reply = await api.call(`${SERVICE}/ModelInfer`, metadata, bytes);
    return inferResponseReply(fromBinary(ModelInferResponseSchema, reply.response));
  }
  const bytes = Buffer.from(toBinary(ModelMetadataRequestSchema, call.request));
  const reply = await api.call(`${SERVICE}/ModelMetadata`, metadata, bytes);
  return metadataResponseReply(fromBinary(ModelMetadataResponseSchema, reply.response));
}

function gatewayMetadata(request: IncomingMessage): Metadata {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(request.headers)) {
    if (!name.startsWith(GATEWAY_METADATA_PREFIX) || value === undefined) continue;
    const key = name.slice(GATEWAY_METADATA_PREFIX.length);
    for (const v of Array.isArray(value) ? value : [value])
      metadata.add(key, key.endsWith("-bin") ? Buffer.from(v, "base64") : v);
  }
  return metadata;
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(response: ServerResponse, reply: RestReply): void {
  response.writeHead(reply.httpStatus, { "content-type": "application/json" });
  response.end(reply.body);
}
