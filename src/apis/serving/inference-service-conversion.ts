/**
 * A ModelMesh InferenceService as the internal predictor spec, and which InferenceServices belong to
 * ModelMesh.
 */
import { z } from "zod";
import { isRecord } from "../../lib/is-record.js";
import { fail, ok, type Result } from "../../lib/result.js";
import {
  DEPLOYMENT_MODE_ANNOTATION,
  DEPLOYMENT_MODE_MODEL_MESH,
  SCHEMA_PATH_ANNOTATION,
  SECRET_KEY_ANNOTATION,
  SERVING_RUNTIME_ANNOTATION,
} from "./annotations.js";
import { type ParsedStorageUri, parseStorageUri } from "./storage-uri.js";
import type { PredictorSpec, StorageSpec } from "./v1alpha1/predictor.js";
import {
  type FrameworkSpec,
  type InferenceService,
  IsvcPredictorSpecSchema,
  type IsvcStorageSpec,
} from "./v1beta1/inference-service.js";

/** Framework fields ModelMesh recognises in the old form, in the order that decides which one wins. */
export const MODEL_MESH_FRAMEWORK_PRECEDENCE = [
  "xgboost",
  "lightgbm",
  "sklearn",
  "tensorflow",
  "onnx",
  "pytorch",
  "triton",
  "pmml",
] as const;

const AZURE_BLOB_HOST_SUFFIX = "blob.core.windows.net";

function annotationsOf(isvc: unknown): Record<string, string> {
  const metadata = isRecord(isvc) && isRecord(isvc.metadata) ? isvc.metadata : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  return Object.fromEntries(
    Object.entries(annotations).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

function namesOf(isvc: unknown): { name: string; namespacedName: string } {
  const metadata = isRecord(isvc) && isRecord(isvc.metadata) ? isvc.metadata : {};
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "";
  return { name, namespacedName: `${namespace}/${name}` };
}

/**
 * Only InferenceServices annotated `serving.kserve.io/deploymentMode: ModelMesh` (exactly) belong to
 * ModelMesh.
 */
export function isModelMeshInferenceService(isvc: InferenceService): boolean {
  return annotationsOf(isvc)[DEPLOYMENT_MODE_ANNOTATION] === DEPLOYMENT_MODE_MODEL_MESH;
}

interface UriStorage {
  path: string;
  parameters: Record<string, string>;
}

function storageFromUri(uri: ParsedStorageUri, namespacedName: string): Result<UriStorage> {
  const trimmedPath = uri.path.replace(/^\//, "");
  switch (uri.scheme) {
    case "pvc":
      return ok({ path: trimmedPath, parameters: { type: "pvc", name: uri.host } });
    case "s3":
      return ok({ path: trimmedPath, parameters: { type: "s3", bucket: uri.host } });
    case "gs":
      return ok({ path: trimmedPath, parameters: { type: "gcs", bucket: uri.host } });
    case "http":
    case "https": {
      if (uri.host.endsWith(AZURE_BLOB_HOST_SUFFIX)) {
        const [container = "", ...rest] = trimmedPath.split("/");
        const accountName = uri.host.split(".")[0] ?? "";
        return ok({
          path: rest.join("/"),
          parameters: { type: "azure", account_name: accountName, container },
        });
      }
      const userinfo = uri.userinfo !== undefined ? `${uri.userinfo}@` : "";
      const query = uri.rawQuery !== undefined ? `?${uri.rawQuery}` : "";
      const fragment = uri.rawFragment ? `#${uri.rawFragment}` : "";
      const url = `${uri.scheme}://${userinfo}${uri.rawHost}${query}${fragment}`;
      return ok({ path: trimmedPath, parameters: { type: "http", url } });
    }
    default:
      return fail(
        `the InferenceService ${namespacedName} has an unsupported storageUri scheme ${uri.scheme}`,
      );
  }
}

function buildStorage(
  extension: { storageUri?: string | undefined; storage?: IsvcStorageSpec | undefined },
  annotations: Record<string, string>,
  namespacedName: string,
): Result<StorageSpec> {
  const { storageUri, storage } = extension;
  let modelPath: string;
  let uriParameters: Record<string, string> = {};
  if (storageUri === undefined) {
    if (storage?.path === undefined) {
      return fail(
        `the InferenceService ${namespacedName} must have either the storageUri or the storage.path`,
      );
    }
    modelPath = storage.path;
  } else {
    if (storage?.path !== undefined) {
      return fail(
        `the InferenceService ${namespacedName} cannot have both the storageUri and the storage.path`,
      );
    }
    const parsed = parseStorageUri(storageUri);
    if (!parsed.ok) {
      return fail(`could not parse storageUri in InferenceService ${namespacedName}: ${parsed.error}`);
    }
    const fromUri = storageFromUri(parsed.value, namespacedName);
    if (!fromUri.ok) return fromUri;
    modelPath = fromUri.value.path;
    uriParameters = fromUri.value.parameters;
  }

  // URI parameters win over storage.parameters.
  const parameters = { ...(storage?.parameters ?? {}), ...uriParameters };
  const key = storage?.key ?? annotations[SECRET_KEY_ANNOTATION];
  const schemaPath = storage?.schemaPath ?? annotations[SCHEMA_PATH_ANNOTATION];
  return ok({
    path: modelPath,
    ...(schemaPath !== undefined && { schemaPath }),
    parameters,
    ...(key !== undefined && { key }),
  });
}

/**
 * Converts a ModelMesh InferenceService into the internal predictor spec (upstream's `pkg/predictor_source/inferenceservice_registry.go BuildBasePredictorFromInferenceService`): the new form
 * (`spec.predictor.model`) or the old framework form, plus storage from `storageUri` or `storage.path`.
 * Any input, however malformed, yields a result rather than an exception.
 */
export function convertInferenceService(isvc: InferenceService): Result<PredictorSpec> {
  const { name, namespacedName } = namesOf(isvc);
  const annotations = annotationsOf(isvc);
  const rawSpec: Record<string, unknown> = isRecord(isvc) && isRecord(isvc.spec) ? isvc.spec : {};
  const parsedPredictor = IsvcPredictorSpecSchema.safeParse(rawSpec.predictor);
  if (!parsedPredictor.success) {
    return fail(
      `the InferenceService ${namespacedName} has an invalid spec.predictor: ${z.prettifyError(parsedPredictor.error).replaceAll("\n", " ")}`,
    );
  }
  const predictor = parsedPredictor.data;
  const framework = MODEL_MESH_FRAMEWORK_PRECEDENCE.find((candidate) => predictor[candidate] !== undefined);
  const runtimeAnnotation = annotations[SERVING_RUNTIME_ANNOTATION];

  let spec: Omit<PredictorSpec, "storage">;
  let extension: FrameworkSpec;
  if (predictor.model !== undefined) {
    const { model } = predictor;
    if (framework !== undefined) {
      return fail(
        `the InferenceService ${name} cannot have both the model spec and a framework spec (${framework})`,
      );
    }
    if (runtimeAnnotation !== undefined) {
      return fail(
        `the InferenceService ${name} cannot have both the model spec and the runtime annotation ${SERVING_RUNTIME_ANNOTATION}`,
      );
    }
    // Without a model format, upstream's Go zero value: an empty name (a runtime named by `model.runtime` still
    // places the model, since the type label is then `rt:<runtime>`).
    const format = model.modelFormat ?? { name: "" };
    spec = {
      modelType: {
        name: format.name,
        ...(format.version !== undefined && { version: format.version }),
      },
      path: "",
      ...(model.runtime !== undefined && { runtime: { name: model.runtime } }),
      ...(model.protocolVersion && { protocolVersion: model.protocolVersion }),
    };
    extension = model;
  } else {
    const frameworkSpec = framework === undefined ? undefined : predictor[framework];
    if (framework === undefined || frameworkSpec === undefined) {
      return fail("no valid InferenceService predictor framework found");
    }
    spec = {
      modelType: { name: framework },
      path: "",
      ...(runtimeAnnotation !== undefined && { runtime: { name: runtimeAnnotation } }),
      ...(frameworkSpec.protocolVersion && { protocolVersion: frameworkSpec.protocolVersion }),
    };
    extension = frameworkSpec;
  }

  const storage = buildStorage(extension, annotations, namespacedName);
  if (!storage.ok) return storage;
  const { modelType, path, runtime, protocolVersion } = spec;
  // Field order follows the upstream struct, which the model-id hash serialises in.
  return ok({
    modelType,
    path,
    storage: storage.value,
    ...(runtime !== undefined && { runtime }),
    ...(protocolVersion !== undefined && { protocolVersion }),
  });
}
