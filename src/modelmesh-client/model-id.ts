/**
 * Concrete model ids (`<name>__<source>-<hash>`) and the ModelInfo sent to ModelMesh, Go-identical to
 * upstream's.
 */
import { createHash } from "node:crypto";
import { type GoJsonValue, goJsonMarshal, goStringMap, goStruct } from "../lib/go-json.js";

/**
 * The parts of a Predictor spec (upstream's `PredictorSpec`, `apis/serving/v1alpha1/predictor_types.go`) that the model id and the ModelInfo are built from. Written as a
 * structural type so both Predictors and the spec synthesised from an InferenceService fit. `null` is accepted
 * wherever the API server may send it and means "absent", as it does for Go's pointers.
 */
export interface ModelSpecLike {
  readonly serviceAccountName?: string | null;
  readonly modelType: { readonly name?: string | null; readonly version?: string | null };
  readonly path?: string | null;
  readonly schemaPath?: string | null;
  readonly storage?: StorageLike | null;
  readonly gpu?: string | null;
  readonly runtime?: { readonly name?: string | null } | null;
  readonly protocolVersion?: string | null;
}

export interface StorageLike {
  readonly path?: string | null;
  readonly schemaPath?: string | null;
  readonly parameters?: Readonly<Record<string, string | null | undefined>> | null;
  readonly key?: string | null;
  readonly persistentVolumeClaim?: {
    readonly claimName?: string | null;
    readonly readOnly?: boolean | null;
  } | null;
  readonly s3?: { readonly secretKey?: string | null; readonly bucket?: string | null } | null;
}

/** Owner ids ModelMesh stores on each vmodel: which kind of resource the vmodel belongs to. */
export const PREDICTOR_SOURCE = "ksp";
export const INFERENCE_SERVICE_SOURCE = "isvc";

/** A Go pointer field: present (even when empty) unless nil. */
function pointer(value: string | null | undefined): GoJsonValue | undefined {
  return value ?? undefined;
}

function stringMap(map: Readonly<Record<string, string | null | undefined>>): GoJsonValue {
  return goStringMap(Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v ?? ""])));
}

function modelTypeJson(modelType: ModelSpecLike["modelType"]): GoJsonValue {
  return goStruct([
    ["name", modelType.name ?? ""],
    ["version", pointer(modelType.version)],
  ]);
}

function storageJson(storage: StorageLike): GoJsonValue {
  const { persistentVolumeClaim: pvc, s3 } = storage;
  return goStruct([
    ["path", pointer(storage.path)],
    ["schemaPath", pointer(storage.schemaPath)],
    ["parameters", storage.parameters ? stringMap(storage.parameters) : undefined],
    ["key", pointer(storage.key)],
    [
      "persistentVolumeClaim",
      pvc
        ? goStruct([
            ["claimName", pvc.claimName ?? ""],
            ["readOnly", pvc.readOnly ? true : undefined],
          ])
        : undefined,
    ],
    [
      "s3",
      s3
        ? goStruct([
            ["secretKey", s3.secretKey ?? ""],
            ["bucket", pointer(s3.bucket)],
          ])
        : undefined,
    ],
  ]);
}

/**
 * The spec serialised exactly like upstream's `json.Marshal(PredictorSpec)`: declaration order, `path` always
 * present, pointers present when set (even to ""), the runtime's `name` present only when the object had one.
 */
export function goPredictorSpecJson(spec: ModelSpecLike): string {
  const runtime = spec.runtime;
  return goJsonMarshal(
    goStruct([
      ["serviceAccountName", pointer(spec.serviceAccountName)],
      ["modelType", modelTypeJson(spec.modelType)],
      ["path", spec.path ?? ""],
      ["schemaPath", pointer(spec.schemaPath)],
      ["storage", spec.storage ? storageJson(spec.storage) : undefined],
      ["gpu", pointer(spec.gpu)],
      ["runtime", runtime ? goStruct([["name", runtime.name ?? undefined]]) : undefined],
      ["protocolVersion", pointer(spec.protocolVersion)],
    ]),
  );
}

/** Lowercase hex of the first 5 bytes of SHA-1 over the Go-compatible spec JSON (10 characters). */
export function specHash(spec: ModelSpecLike): string {
  return createHash("sha1").update(goPredictorSpecJson(spec), "utf8").digest("hex").slice(0, 10);
}

/**
 * Concrete model id `<name>__<source>-<hash>`: any spec change gives a new model, which ModelMesh transitions
 * to.
 */
export function concreteModelId(name: string, source: string, spec: ModelSpecLike): string {
  return `${name}__${source}-${specHash(spec)}`;
}

export interface RegistryModelKey {
  readonly name: string;
  readonly source: string;
  readonly hash: string;
}

const SOURCE_AND_HASH = /^(.+)-([0-9a-f]{10})$/;

/**
 * Splits a ModelMesh registry key `name__source-hhhhhhhhhh` (the last `__` ends the name). Returns undefined for
 * ids that this controller did not make, which the registry may also hold.
 */
export function parseConcreteModelId(modelId: string): RegistryModelKey | undefined {
  const split = modelId.lastIndexOf("__");
  if (split <= 0) return undefined;
  const match = SOURCE_AND_HASH.exec(modelId.slice(split + 2));
  if (!match?.[1] || !match[2]) return undefined;
  return { name: modelId.slice(0, split), source: match[1], hash: match[2] };
}

export interface SourceNamespace {
  readonly source: string;
  readonly namespace: string;
}

/**
 * Reads the namespace part of a model reconcile key: `<source>_<namespace>`, or a plain namespace meaning a
 * Predictor. Splits on the last `_` (namespaces cannot contain one); `_` at index 0 also means a plain namespace.
 */
export function parseSourceNamespace(value: string): SourceNamespace {
  const split = value.lastIndexOf("_");
  if (split <= 0) return { source: PREDICTOR_SOURCE, namespace: value };
  return { source: value.slice(0, split), namespace: value.slice(split + 1) };
}

/**
 * The inverse of {@link parseSourceNamespace}; Predictors get the plain namespace so each object has one key.
 */
export function formatSourceNamespace(source: string, namespace: string): string {
  return source === PREDICTOR_SOURCE ? namespace : `${source}_${namespace}`;
}

/** What ModelMesh is told about where the model lives (`ModelInfo.path` and `ModelInfo.key`). */
export interface ModelLocation {
  readonly path: string;
  /** JSON `{"storage_key"?, "storage_params"?, "model_type", "schema_path"?}`, read by the puller/adapter. */
  readonly key: string;
}

/**
 * Storage fields with the deprecated fallbacks (upstream's `extractModelFields` in `controllers/predictor_controller.go`): `storage.path` else `spec.path`, `storage.key` else the
 * s3 secret key, `storage.parameters` else the s3 bucket. Without `storage` nothing is sent but the model type.
 */
export function modelLocation(spec: ModelSpecLike): ModelLocation {
  const storage = spec.storage;
  let path = "";
  let schemaPath: string | undefined;
  let storageKey: string | undefined;
  let storageParams: Readonly<Record<string, string | null | undefined>> | undefined;
  if (storage) {
    path = storage.path ?? spec.path ?? "";
    schemaPath = storage.schemaPath ?? spec.schemaPath ?? undefined;
    storageKey = storage.key ?? (storage.s3 ? (storage.s3.secretKey ?? "") : undefined);
    if (storage.parameters) storageParams = storage.parameters;
    else if (storage.s3?.bucket != null) storageParams = { bucket: storage.s3.bucket };
  }
  const key = goJsonMarshal(
    goStruct([
      ["storage_key", storageKey],
      [
        "storage_params",
        storageParams && Object.keys(storageParams).length > 0 ? stringMap(storageParams) : undefined,
      ],
      ["model_type", modelTypeJson(spec.modelType)],
      ["schema_path", schemaPath],
    ]),
  );
  return { path, key };
}
