/** The example InferenceServices the sandbox applies (`config/example-isvcs`), and the model paths they need. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { convertInferenceService } from "../../../src/apis/serving/inference-service-conversion.js";
import type { InferenceService } from "../../../src/apis/serving/v1beta1/inference-service.js";
import { modelLocation } from "../../../src/modelmesh-client/model-id.js";
import { REPO_ROOT } from "../control-plane/index.js";

export const EXAMPLES_DIR = path.join(REPO_ROOT, "config/example-isvcs");

export function exampleInferenceServices(): InferenceService[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml")
    .sort()
    .map((file) => parse(readFileSync(path.join(EXAMPLES_DIR, file), "utf8")) as InferenceService);
}

/** Storage paths of the examples, as the emulator resolves them inside its model store. */
export function sandboxModelPaths(): string[] {
  return exampleInferenceServices().flatMap((isvc) => {
    const converted = convertInferenceService(isvc);
    return converted.ok ? [modelLocation(converted.value).path] : [];
  });
}
