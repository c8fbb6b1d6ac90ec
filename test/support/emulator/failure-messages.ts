/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. The failure texts model-mesh answers and stores, shaped as
 * the real pipeline makes them: model-mesh formats a runtime's gRPC error as `<CODE>: <description>` (grpc-java's
 * `StatusRuntimeException` message) and stores that in `fails.<instance>.msg`; only the answer to the call that
 * waited for the failed load still carries the exception's class name in front.
 */
import { status } from "@grpc/grpc-js";

/** What model-mesh puts before a failure message in the answer of the `sync` call that waited for it. */
export const WAITED_FAILURE_PREFIX = "io.grpc.StatusRuntimeException: ";

/** The placement failure: no ready instance has every label the model's type requires. */
export function noRunningInstancesMessage(type: string, requiredLabels: readonly string[]): string {
  return `There are no running instances that meet the label requirements of type ${type}: [${requiredLabels.join(", ")}]`;
}

/** A runtime's gRPC error as model-mesh writes it. */
export function runtimeErrorText(code: string, description: string): string {
  return `${code}: ${description}`;
}

/**
 * A model path missing from the store. The emulator's store is a local directory, like a PVC: the puller's PVC
 * provider fails with `unable to access model local path '<path>': <os.Stat error>` (pullman/storageproviders/pvc
 * `Pull`), `ProcessLoadModelRequest` wraps it as "Failed to pull model from storage due to error: ..." with the
 * plain error's gRPC code, UNKNOWN, and the adapter passes that through.
 */
export function missingModelMessage(localPath: string): string {
  return runtimeErrorText(
    "UNKNOWN",
    `Failed to pull model from storage due to error: unable to access model local path '${localPath}': stat ${localPath}: no such file or directory`,
  );
}

/** grpc-java's name of a status code (`Status.Code`), as model-mesh puts it before a runtime's message. */
export function grpcCodeName(code: status): string {
  return status[code] ?? "UNKNOWN";
}
