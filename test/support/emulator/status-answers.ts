/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. `ModelStatusInfo` and `VModelStatusInfo` as the real
 * model-mesh answers them. A copy is listed as `{location, copyStatus: UNKNOWN, time: load start}` whether it is
 * still loading or loaded (only the model's status tells them apart), a failure as `{location, LOADING_FAILED,
 * time: failure time}` with its message in `errors`. A vmodel's target is reported LOADING while it transitions,
 * LOADING_FAILED once the transition failed and the target holds failure records and no copy.
 */
import { create } from "@bufbuild/protobuf";
import {
  ModelStatusInfo_ModelCopyInfoSchema as CopyInfoSchema,
  ModelStatusInfo_ModelStatus as ModelStatus,
  type ModelStatusInfo,
  ModelStatusInfoSchema,
  VModelStatusInfo_VModelStatus as VModelStatus,
  type VModelStatusInfo,
  VModelStatusInfoSchema,
} from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { WAITED_FAILURE_PREFIX } from "./failure-messages.js";
import type { LoadOutcome } from "./mesh-replies.js";
import type { VModelRecord } from "./registry-records.js";
import type { ReadonlyModelRecord } from "./registry-store.js";

/** Whether a model's copy on an instance is still loading. */
export type IsLoading = (modelId: string, instance: string) => boolean;

export function modelStatusInfo(
  modelId: string,
  record: ReadonlyModelRecord | undefined,
  isLoading: IsLoading,
): ModelStatusInfo {
  if (record === undefined) return create(ModelStatusInfoSchema, { status: ModelStatus.NOT_FOUND });
  const failures = [...record.failedIn]
    .map(([location, time]) => ({ location, time, message: record.fails.get(location) ?? "" }))
    .sort((a, b) => b.time - a.time);
  const copyInfos = [
    ...[...record.instanceIds].map(([location, time]) =>
      create(CopyInfoSchema, { location, copyStatus: ModelStatus.UNKNOWN, time: BigInt(time) }),
    ),
    ...failures.map((f) =>
      create(CopyInfoSchema, {
        location: f.location,
        copyStatus: ModelStatus.LOADING_FAILED,
        time: BigInt(f.time),
      }),
    ),
  ].sort((a, b) => (b.time > a.time ? 1 : b.time < a.time ? -1 : 0));
  const copies = [...record.instanceIds.keys()];
  let status: ModelStatus;
  if (copies.some((instance) => !isLoading(modelId, instance))) status = ModelStatus.LOADED;
  else if (copies.length > 0) status = ModelStatus.LOADING;
  else if (failures.length > 0) status = ModelStatus.LOADING_FAILED;
  else status = ModelStatus.NOT_LOADED;
  return create(ModelStatusInfoSchema, {
    status,
    errors: status === ModelStatus.LOADED ? [] : failures.map((f) => f.message),
    modelCopyInfos: copyInfos,
  });
}

export function vmodelStatusInfo(
  vmodel: Readonly<VModelRecord>,
  model: (id: string) => ReadonlyModelRecord | undefined,
  isLoading: IsLoading,
): VModelStatusInfo {
  const active = modelStatusInfo(vmodel.active, model(vmodel.active), isLoading);
  let target: ModelStatusInfo | undefined;
  let status = VModelStatus.DEFINED;
  if (vmodel.target !== vmodel.active) {
    target = modelStatusInfo(vmodel.target, model(vmodel.target), isLoading);
    // LOADING_FAILED already means failure records and no copy.
    if (!(vmodel.failed && target.status === ModelStatus.LOADING_FAILED)) target.status = ModelStatus.LOADING;
    status = vmodel.failed ? VModelStatus.TRANSITION_FAILED : VModelStatus.TRANSITIONING;
  }
  return create(VModelStatusInfoSchema, {
    status,
    activeModelId: vmodel.active,
    targetModelId: vmodel.target,
    activeModelStatus: active,
    targetModelStatus: target,
    owner: vmodel.owner,
  });
}

/** getVModelStatus of a vmodel that does not exist (or has another owner): an answer, not an error. */
export function vmodelNotFound(): VModelStatusInfo {
  return create(VModelStatusInfoSchema, {});
}

/** The answer to a load nowhere could take: the failure, no copies (the status calls will not show it). */
export function placementFailure(message: string): ModelStatusInfo {
  return create(ModelStatusInfoSchema, { status: ModelStatus.LOADING_FAILED, errors: [message] });
}

/** The answer of the call that waited for a load: a failure shows as the exception that call received. */
export function afterWait(status: ModelStatusInfo, outcome: LoadOutcome): ModelStatusInfo {
  if (outcome.kind === "failed" && status.status === ModelStatus.LOADING_FAILED) {
    status.errors = [`${WAITED_FAILURE_PREFIX}${outcome.message}`, ...status.errors.slice(1)];
  }
  return status;
}
