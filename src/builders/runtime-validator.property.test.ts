import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { garbage, maybe, metadata, text } from "../../test/support/resilience/near-cases.js";
import {
  admitServingRuntime,
  type RuntimeUnderValidation,
  validateRuntimeSpec,
} from "./runtime-validator.js";

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

const runtime = fc.oneof(fc.record({ metadata: maybe(metadata), spec: maybe(runtimeSpec) }), garbage);

const BUILT_IN = ["triton", "mlserver", "ovms", "torchserve"];

describe("no runtime makes validation throw", () => {
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
});
