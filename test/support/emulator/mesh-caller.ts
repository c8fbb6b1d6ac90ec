/**
 * TEST INFRASTRUCTURE — a plain gRPC caller of all seven `mmesh.ModelMesh` methods, for the emulator's own tests
 * (the controller's client has only the methods the controller uses). An answer and a gRPC error are both values,
 * so a test can compare either with what model-mesh answered.
 */
import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Client, credentials, type ServiceError, status } from "@grpc/grpc-js";
import { ModelMesh } from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { grpcServiceDefinition } from "../../../src/modelmesh-client/grpc/service-definition.js";

const SERVICE = grpcServiceDefinition(ModelMesh);

export type MeshMethod = (typeof ModelMesh.methods)[number];
export type MeshMethodName = MeshMethod["localName"];

export type MeshReply =
  | { readonly ok: true; readonly response: unknown }
  | { readonly ok: false; readonly code: status; readonly codeName: string; readonly details: string };

export class MeshCaller {
  private readonly client: Client;

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  /** Calls `method` with a request given as the message's fields (JSON names, as protobuf-es builds them). */
  call(method: MeshMethodName, request: Record<string, unknown>, deadlineMs = 30_000): Promise<MeshReply> {
    const descriptor = ModelMesh.methods.find((m) => m.localName === method);
    const definition = SERVICE[method];
    if (!descriptor || !definition) throw new Error(`no ModelMesh method ${method}`);
    const message = create(
      descriptor.input as DescMessage,
      request as MessageInitShape<DescMessage>,
    ) as MessageShape<DescMessage>;
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        message,
        { deadline: Date.now() + deadlineMs },
        (error: ServiceError | null, response?: unknown) => {
          if (error) {
            resolve({
              ok: false,
              code: error.code,
              codeName: status[error.code] ?? String(error.code),
              details: error.details,
            });
          } else resolve({ ok: true, response });
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
