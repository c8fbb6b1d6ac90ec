import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RUNTIME_AUTOSCALING_ANNOTATIONS } from "../../test/fixtures/resilience/arbitraries.js";
import {
  DEPLOYMENT_MODE_ANNOTATION,
  SCHEMA_PATH_ANNOTATION,
  SECRET_KEY_ANNOTATION,
  SERVING_RUNTIME_ANNOTATION,
} from "../apis/serving/annotations.js";
import { convertInferenceService } from "../apis/serving/inference-service-conversion.js";
import { parseStorageUri } from "../apis/serving/storage-uri.js";
import type { InferenceService } from "../apis/serving/v1beta1/inference-service.js";
import {
  admitServingRuntime,
  type RuntimeUnderValidation,
  validateRuntimeSpec,
} from "./runtime-validator.js";

/** Values drawn near the interesting cases, mixed with arbitrary garbage. */
const text = fc.oneof(
  fc.constantFrom(
    "",
    "mm",
    "mm-x",
    "grpc",
    "tc-config",
    "models-dir",
    "mlserver",
    "hpa",
    "none",
    "external",
    "0",
    "-1",
  ),
  fc.constantFrom(
    "port:8001",
    "port:x",
    "unix:/a/b.sock",
    "unix:///c/d.sock",
    "s3://b/p",
    "https://x.blob.core.windows.net/c/p",
  ),
  fc.constantFrom("pvc://claim/p", "gs://b/%zz", "http://h:port/", "://", "%", "\u0000", "[::1"),
  fc.string(),
  fc.webUrl(),
);
const garbage = fc.anything({ maxDepth: 3 });
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(fc.oneof(arbitrary, garbage), { nil: undefined });

const container = fc.record(
  {
    name: maybe(text),
    readinessProbe: maybe(fc.object()),
    lifecycle: maybe(fc.object()),
    ports: maybe(
      fc.array(fc.record({ name: maybe(text), containerPort: maybe(fc.integer({ min: 0, max: 70000 })) })),
    ),
    volumeMounts: maybe(fc.array(fc.record({ name: maybe(text) }))),
  },
  { requiredKeys: [] },
);

const runtimeSpec = fc.record(
  {
    multiModel: maybe(fc.boolean()),
    containers: maybe(fc.array(container, { maxLength: 3 })),
    volumes: maybe(fc.array(fc.record({ name: maybe(text) }))),
    grpcEndpoint: maybe(text),
    grpcDataEndpoint: maybe(text),
    replicas: maybe(fc.integer()),
    storageHelper: maybe(fc.record({ disabled: maybe(fc.boolean()) })),
    builtInAdapter: maybe(fc.record({ serverType: maybe(text), env: maybe(fc.array(garbage)) })),
  },
  { requiredKeys: [] },
);

const annotations = fc.dictionary(
  fc.constantFrom(
    ...RUNTIME_AUTOSCALING_ANNOTATIONS,
    SERVING_RUNTIME_ANNOTATION,
    SECRET_KEY_ANNOTATION,
    SCHEMA_PATH_ANNOTATION,
    DEPLOYMENT_MODE_ANNOTATION,
  ),
  fc.oneof(text, garbage),
);

const metadata = fc.record(
  { name: maybe(text), namespace: maybe(text), annotations: maybe(annotations) },
  {
    requiredKeys: [],
  },
);

const runtime = fc.oneof(fc.record({ metadata: maybe(metadata), spec: maybe(runtimeSpec) }), garbage);

const extension = fc.record(
  {
    storageUri: maybe(text),
    protocolVersion: maybe(text),
    storage: maybe(
      fc.record(
        {
          path: maybe(text),
          key: maybe(text),
          schemaPath: maybe(text),
          parameters: maybe(fc.dictionary(text, text)),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

const predictor = fc.record(
  {
    model: maybe(
      fc
        .record(
          {
            modelFormat: maybe(fc.record({ name: maybe(text), version: maybe(text) })),
            runtime: maybe(text),
          },
          { requiredKeys: [] },
        )
        .chain((model) => extension.map((ext) => ({ ...model, ...ext }))),
    ),
    sklearn: maybe(extension),
    xgboost: maybe(extension),
    pytorch: maybe(extension),
    huggingface: maybe(extension),
  },
  { requiredKeys: [] },
);

const inferenceService = fc.oneof(
  fc.record({ metadata: maybe(metadata), spec: maybe(fc.record({ predictor: maybe(predictor) })) }),
  garbage,
);

const BUILT_IN = ["triton", "mlserver", "ovms", "torchserve"];

describe("no input makes conversion or validation throw", () => {
  it("validateRuntimeSpec and admitServingRuntime return a result for any runtime", () => {
    fc.assert(
      fc.property(runtime, (candidate) => {
        const checked = validateRuntimeSpec(candidate as RuntimeUnderValidation, BUILT_IN);
        expect(typeof checked.ok).toBe("boolean");
        const decision = admitServingRuntime(candidate, BUILT_IN);
        expect(typeof decision.message).toBe("string");
      }),
      { numRuns: 2000 },
    );
  });

  it("convertInferenceService returns a result for any InferenceService", () => {
    fc.assert(
      fc.property(inferenceService, (candidate) => {
        const result = convertInferenceService(candidate as InferenceService);
        expect(result.ok ? typeof result.spec.modelType.name : typeof result.error).toBe("string");
      }),
      { numRuns: 2000 },
    );
  });

  it("parseStorageUri returns a result for any string", () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ unit: "binary" })), (uri) => {
        expect(typeof parseStorageUri(uri).ok).toBe("boolean");
      }),
      { numRuns: 3000 },
    );
  });
});
