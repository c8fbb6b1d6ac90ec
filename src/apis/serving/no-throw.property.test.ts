import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { garbage, maybe, metadata, text } from "../../../test/support/resilience/near-cases.js";
import { convertInferenceService } from "./inference-service-conversion.js";
import { parseStorageUri } from "./storage-uri.js";
import type { InferenceService } from "./v1beta1/inference-service.js";

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

describe("no input makes conversion or storage URI parsing throw", () => {
  it("convertInferenceService returns a result for any InferenceService", () => {
    fc.assert(
      fc.property(inferenceService, (candidate) => {
        const result = convertInferenceService(candidate as InferenceService);
        expect(result.ok ? typeof result.value.modelType.name : typeof result.error).toBe("string");
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
