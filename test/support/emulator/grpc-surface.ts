/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. The `mmesh.ModelMesh` gRPC service: each RPC runs in the
 * exclusive section; an answer that waits for a load is built after it, outside; `MeshStatus`
 * becomes the gRPC error with model-mesh's text, anything else an INTERNAL error (etcd unreachable, say). The
 * server takes messages up to model-mesh's default limit (`MM_SVC_GRPC_MAX_MSG_SIZE`, 16 MiB), which matters for
 * the inference requests it also serves (`inference-surface.ts`).
 */
import { Server, type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import type { Logger } from "../../../src/controller-runtime/logging.js";
import type { SetVModelRequest } from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { ModelMesh } from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { grpcServiceDefinition } from "../../../src/modelmesh-client/grpc/service-definition.js";
import type { Exclusive } from "./exclusive.js";
import { Deferred, MeshStatus, type Reply } from "./mesh-replies.js";
import type { ModelApi } from "./model-api.js";
import type { VModelApi } from "./vmodel-api.js";

export interface MeshService {
  readonly models: ModelApi;
  readonly vmodels: VModelApi;
  readonly exclusive: Exclusive;
  readonly log: Logger;
  /** Called as each `setVModel` request arrives, before it is processed. */
  readonly onSetVModel?: (request: SetVModelRequest) => void;
  /** Called as each call arrives, with its method. */
  readonly onCall?: (method: string) => void;
}

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function meshServer(service: MeshService): Server {
  const { exclusive, log, models, vmodels } = service;
  const handle =
    <Req, Res>(method: string, fn: (request: Req) => Promise<Reply<Res>> | Reply<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      service.onCall?.(method);
      exclusive
        .run(async () => fn(call.request))
        .then((reply) =>
          reply instanceof Deferred ? reply.wait.then((outcome) => reply.answer(outcome)) : reply,
        )
        .then(
          (response) => callback(null, response),
          (error: unknown) => {
            if (error instanceof MeshStatus) callback({ code: error.code, details: error.message });
            else {
              log.error({ error: String(error) }, "emulator request failed");
              callback({ code: status.INTERNAL, details: String(error) });
            }
          },
        );
    };
  const setVModel = handle("setVModel", (request: SetVModelRequest) => vmodels.setVModel(request));
  const server = new Server({ "grpc.max_receive_message_length": MAX_MESSAGE_BYTES });
  server.addService(grpcServiceDefinition(ModelMesh), {
    registerModel: handle("registerModel", models.registerModel.bind(models)),
    unregisterModel: handle("unregisterModel", models.unregisterModel.bind(models)),
    // Status reads wait for the change in progress, so that no answer shows a call's registration without the
    // placement that came with it.
    getModelStatus: handle("getModelStatus", (r: { modelId: string }) => models.getModelStatus(r.modelId)),
    ensureLoaded: handle("ensureLoaded", models.ensureLoaded.bind(models)),
    setVModel: (call: ServerUnaryCall<SetVModelRequest, unknown>, callback: sendUnaryData<unknown>) => {
      service.onSetVModel?.(call.request);
      // A call that changes nothing does not wait behind the changes in progress.
      const unchanged = vmodels.unchangedAnswer(call.request);
      if (unchanged === undefined) setVModel(call, callback);
      else {
        service.onCall?.("setVModel");
        callback(null, unchanged);
      }
    },
    deleteVModel: handle("deleteVModel", vmodels.deleteVModel.bind(vmodels)),
    getVModelStatus: handle("getVModelStatus", vmodels.getVModelStatus.bind(vmodels)),
  });
  return server;
}
