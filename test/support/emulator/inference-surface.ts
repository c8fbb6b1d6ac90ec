/**
 * TEST/SANDBOX INFRASTRUCTURE — part of the ModelMesh emulator. `inference.GRPCInferenceService` on the
 * emulator's gRPC server, next to `mmesh.ModelMesh`, as model-mesh serves inference on its external port: every
 * method takes and returns raw bytes, handed to `InferenceApi`. Answers and errors carry model-mesh's
 * `content-type: application/grpc` (grpc-js would write `application/grpc+proto`) and no other header of the
 * mesh's own.
 */
import {
  Metadata,
  type MethodDefinition,
  type Server,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import type { Logger } from "../../../src/controller-runtime/logging.js";
import { GRPCInferenceService } from "../mlserver/gen/inference/grpc_predict_v2_pb.js";
import type { InferenceApi } from "./inference-api.js";
import { MeshStatus } from "./mesh-replies.js";
import { rawUnaryMethod } from "./raw-methods.js";

/** model-mesh's content type; set on the emulator's answers, it replaces grpc-js's own. */
export function meshHeaders(from?: Metadata): Metadata {
  const headers = from?.clone() ?? new Metadata();
  headers.set("content-type", "application/grpc");
  return headers;
}

export function addInferenceService(server: Server, api: InferenceApi, log: Logger): void {
  const definition: Record<string, MethodDefinition<Buffer, Buffer>> = {};
  const handlers: Record<
    string,
    (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => void
  > = {};
  for (const method of GRPCInferenceService.methods) {
    const fullName = `${GRPCInferenceService.typeName}/${method.name}`;
    definition[method.localName] = rawUnaryMethod(`/${fullName}`, method.name);
    handlers[method.localName] = (call, done) => {
      const deadline = call.getDeadline();
      api.call(fullName, call.metadata, call.request, deadline instanceof Date ? deadline : undefined).then(
        (reply) => {
          call.sendMetadata(meshHeaders(reply.metadata));
          done(null, reply.response);
        },
        (error: unknown) => {
          if (!(error instanceof MeshStatus))
            log.error({ method: fullName, error: String(error) }, "emulated inference failed");
          const code = error instanceof MeshStatus ? error.code : status.INTERNAL;
          done({
            code,
            details: error instanceof Error ? error.message : String(error),
            metadata: meshHeaders(),
          });
        },
      );
    };
  }
  server.addService(definition, handlers);
}
