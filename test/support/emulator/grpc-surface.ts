/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. The `mmesh.ModelMesh` gRPC service: each RPC runs in the
 * exclusive section; an answer that waits for a load is built after it, outside; `MeshStatus`
 * becomes the gRPC error with model-mesh's text, anything else an INTERNAL error (etcd unreachable, say).
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
}

export function meshServer(service: MeshService): Server {
  const { exclusive, log, models, vmodels } = service;
  const handle =
    <Req, Res>(fn: (request: Req) => Promise<Reply<Res>> | Reply<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
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
  const setVModel = handle((request: SetVModelRequest) => vmodels.setVModel(request));
  const server = new Server();
  server.addService(grpcServiceDefinition(ModelMesh), {
    registerModel: handle(models.registerModel.bind(models)),
    unregisterModel: handle(models.unregisterModel.bind(models)),
    // Status reads wait for the change in progress, so that no answer shows a call's registration without the
    // placement that came with it.
    getModelStatus: handle((r: { modelId: string }) => models.getModelStatus(r.modelId)),
    ensureLoaded: handle(models.ensureLoaded.bind(models)),
    setVModel: (call: ServerUnaryCall<SetVModelRequest, unknown>, callback: sendUnaryData<unknown>) => {
      service.onSetVModel?.(call.request);
      setVModel(call, callback);
    },
    deleteVModel: handle(vmodels.deleteVModel.bind(vmodels)),
    getVModelStatus: handle(vmodels.getVModelStatus.bind(vmodels)),
  });
  return server;
}
