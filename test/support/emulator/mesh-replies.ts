/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. What an emulated RPC ends with: an answer now, an answer
 * once a load (or a transition) has ended, or a gRPC error with model-mesh's text.
 */
import type { status } from "@grpc/grpc-js";

/** Thrown inside a handler to answer with a gRPC status. */
export class MeshStatus extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** How a load ended; `cancelled` when its model or copy went away first. */
export type LoadOutcome =
  | { readonly kind: "loaded" | "cancelled" }
  | { readonly kind: "failed"; readonly message: string };

/** An answer built once `wait` has settled. */
export class Deferred<Res> {
  constructor(
    readonly wait: Promise<LoadOutcome>,
    readonly answer: (outcome: LoadOutcome) => Res,
  ) {}
}

export type Reply<Res> = Res | Deferred<Res>;
