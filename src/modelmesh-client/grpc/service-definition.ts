/** The grpc-js service definition of mmesh.ModelMesh, from the generated protobuf descriptor. */
import {
  type DescMessage,
  type DescService,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** The wire path of a method, e.g. `/mmesh.ModelMesh/setVModel`. */
export function methodPath(service: DescService, methodName: string): string {
  return `/${service.typeName}/${methodName}`;
}

function serializer<M extends DescMessage>(schema: M): (message: MessageShape<M>) => Buffer {
  return (message) => Buffer.from(toBinary(schema, message));
}

function deserializer<M extends DescMessage>(schema: M): (bytes: Buffer) => MessageShape<M> {
  return (bytes) => fromBinary(schema, bytes);
}

/**
 * A grpc-js service definition built from a protobuf-es descriptor, so a client and a server speak the generated
 * messages without a second code generator. Only unary methods exist in `mmesh.ModelMesh`.
 */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") throw new Error(`${service.typeName}/${method.name} is not unary`);
    definition[method.localName] = {
      path: methodPath(service, method.name),
      requestStream: false,
      responseStream: false,
      requestSerialize: serializer(method.input) as (value: unknown) => Buffer,
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output) as (value: unknown) => Buffer,
      responseDeserialize: deserializer(method.output),
      originalName: method.name,
    };
  }
  return definition;
}
