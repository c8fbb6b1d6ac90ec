/**
 * TEST/SANDBOX INFRASTRUCTURE — part of the ModelMesh emulator. A grpc-js method definition whose request and
 * answer stay raw bytes, as model-mesh handles inference without the request's schema (decision 0193).
 */
import type { MethodDefinition } from "@grpc/grpc-js";

export const passThrough = (bytes: Buffer): Buffer => bytes;

/** A unary method at `path` (`/<package.Service>/<Method>`) of raw bytes both ways. */
export function rawUnaryMethod(path: string, originalName?: string): MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
    ...(originalName !== undefined && { originalName }),
  };
}
