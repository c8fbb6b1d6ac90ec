/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. Which model an inference request names, as model-mesh
 * decides it (modelmesh `ModelMeshApi.startCall`, `getModelIdsFromHeaders`, `validateModelId`): with an id
 * extraction path, the string at that path of the request (present on the wire, even empty) is the id; without
 * one, or when the request lacks that field, the routing headers are (`mm-model-id`, else `mm-model-id-bin`;
 * `mm-vmodel-id`, else `mm-vmodel-id-bin`; the legacy `tas-model-id` last). And what model-mesh passes on to the
 * runtime: every header but its own and gRPC's, plus the concrete id.
 */
import { Metadata, type MetadataValue, status } from "@grpc/grpc-js";
import type { RpcConfig } from "./dataplane-config.js";
import { MeshStatus } from "./mesh-replies.js";
import { extractString, ProtoWireError } from "./proto-splicing.js";

export interface RequestedModel {
  readonly id: string;
  /** The id names a vmodel, to be resolved to its active model. */
  readonly isVModel: boolean;
}

const MODEL_ID = "mm-model-id";
const VMODEL_ID = "mm-vmodel-id";
const LEGACY_MODEL_ID = "tas-model-id";

/** The model the request names; throws `MeshStatus` with model-mesh's answer when it names none. */
export function requestedModel(config: RpcConfig, headers: Metadata, request: Uint8Array): RequestedModel {
  if (config.idExtractionPath.length > 0) {
    let id: string | undefined;
    try {
      id = extractString(request, config.idExtractionPath);
    } catch (error) {
      // grpc-java's answer to an exception in a call listener.
      if (error instanceof ProtoWireError)
        throw new MeshStatus(status.UNKNOWN, "Application error processing RPC");
      throw error;
    }
    if (id !== undefined) return validated({ id, isVModel: config.vModelId });
  }
  return validated(fromHeaders(headers));
}

function fromHeaders(headers: Metadata): RequestedModel {
  const modelIds = values(headers, MODEL_ID) ?? values(headers, `${MODEL_ID}-bin`);
  const vmodelIds = values(headers, VMODEL_ID) ?? values(headers, `${VMODEL_ID}-bin`);
  if (vmodelIds !== undefined) {
    if (modelIds !== undefined)
      throw new MeshStatus(status.INVALID_ARGUMENT, "must include only one of model id and vmodel id");
    return single(vmodelIds, true);
  }
  const ids = modelIds ?? values(headers, LEGACY_MODEL_ID);
  if (ids === undefined) throw new MeshStatus(status.INVALID_ARGUMENT, `must include ${MODEL_ID} header`);
  return single(ids, false);
}

function single(ids: readonly string[], isVModel: boolean): RequestedModel {
  if (ids.length > 1) {
    throw new MeshStatus(
      status.UNIMPLEMENTED,
      "the ModelMesh emulator does not serve multi-model requests (repeated model id headers)",
    );
  }
  return { id: ids[0] ?? "", isVModel };
}

function validated(requested: RequestedModel): RequestedModel {
  if (requested.id !== "") return requested;
  throw new MeshStatus(
    status.INVALID_ARGUMENT,
    `provided ${requested.isVModel ? "vmodel" : "model"}-id header must be non-empty`,
  );
}

/** A header's values as text (`-bin` headers arrive decoded from base64), or undefined when it is absent. */
function values(headers: Metadata, key: string): string[] | undefined {
  const found = headers.get(key);
  return found.length === 0 ? undefined : found.map(text);
}

function text(value: MetadataValue): string {
  return typeof value === "string" ? value : value.toString("utf8");
}

/**
 * The headers model-mesh sends to the runtime with a request for `modelId`: the caller's, without model-mesh's
 * own (`mm-*`), gRPC's (`grpc-*`), `content-type`, `user-agent` and `tas-model-id`; then `mm-model-id-bin` with
 * the concrete id, and `mm-model-id` too when the id is printable ASCII.
 */
export function runtimeHeaders(headers: Metadata, modelId: string): Metadata {
  const forwarded = new Metadata();
  for (const key of Object.keys(headers.getMap())) {
    if (key.startsWith("mm-") || key.startsWith("grpc-")) continue;
    if (key === "content-type" || key === "user-agent" || key === LEGACY_MODEL_ID) continue;
    for (const value of headers.get(key)) forwarded.add(key, value);
  }
  forwarded.set(`${MODEL_ID}-bin`, Buffer.from(modelId, "utf8"));
  if (/^[\x20-\x7e]*$/.test(modelId)) forwarded.set(MODEL_ID, modelId);
  return forwarded;
}
