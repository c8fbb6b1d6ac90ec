/**
 * TEST/SANDBOX INFRASTRUCTURE — never shipped. Promise-based gRPC clients, on plaintext loopback, for the two
 * services a KServe v2 runtime such as MLServer serves: `inference.GRPCInferenceService` (inference, metadata,
 * readiness) and `inference.model_repository.ModelRepositoryService` (load, unload, index).
 */
import type { DescMessage, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import {
  type ChannelOptions,
  type Client,
  credentials,
  makeGenericClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";
import { grpcServiceDefinition } from "../../../src/modelmesh-client/grpc/service-definition.js";
import { GRPCInferenceService } from "./gen/inference/grpc_predict_v2_pb.js";
import { ModelRepositoryService } from "./gen/inference/model_repository_pb.js";

export const DEFAULT_DEADLINE_MS = 30_000;

type UnaryCall = (
  request: unknown,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: unknown) => void,
) => void;

/** `client.<method>(init)`: one promise-returning function per rpc of the service, taking the request's init. */
export type PromiseClient<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K] extends {
    input: infer I extends DescMessage;
    output: infer O extends DescMessage;
  }
    ? (request: MessageInitShape<I>, deadlineMs?: number) => Promise<MessageShape<O>>
    : never;
} & { close(): void };

function promiseClient<S extends DescService>(
  service: S,
  address: string,
  options: ChannelOptions = {},
): PromiseClient<S> {
  const Constructor = makeGenericClientConstructor(grpcServiceDefinition(service), service.typeName);
  const client = new Constructor(address, credentials.createInsecure(), options) as Client &
    Record<string, UnaryCall>;
  const methods: Record<string, unknown> = { close: () => client.close() };
  for (const method of service.methods) {
    methods[method.localName] = (request: MessageInitShape<DescMessage>, deadlineMs = DEFAULT_DEADLINE_MS) =>
      new Promise((resolve, reject) => {
        const message = create(method.input, request);
        const call = client[method.localName];
        if (!call) throw new Error(`no client method ${method.localName}`);
        call.call(client, message, { deadline: new Date(Date.now() + deadlineMs) }, (error, response) =>
          error ? reject(error) : resolve(response),
        );
      });
  }
  return methods as PromiseClient<S>;
}

export type InferenceClient = PromiseClient<typeof GRPCInferenceService>;
export type ModelRepositoryClient = PromiseClient<typeof ModelRepositoryService>;

/** A client of `inference.GRPCInferenceService` at `host:port`. */
export function inferenceClient(address: string, options?: ChannelOptions): InferenceClient {
  return promiseClient(GRPCInferenceService, address, options);
}

/** A client of `inference.model_repository.ModelRepositoryService` at `host:port`. */
export function modelRepositoryClient(address: string, options?: ChannelOptions): ModelRepositoryClient {
  return promiseClient(ModelRepositoryService, address, options);
}
