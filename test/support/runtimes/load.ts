/** Reads runtime YAML for tests: the four built-in runtimes shipped in `config/runtimes`, and test/fixtures/runtimes. */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { ServingRuntime } from "../../../src/apis/serving/v1alpha1/serving-runtime.js";
import { REPO_ROOT } from "../control-plane/binaries.js";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "runtimes");

export const BUILT_IN_RUNTIME_NAMES = ["mlserver-1.x", "ovms-1.x", "torchserve-0.x", "triton-2.x"] as const;

export function loadBuiltInRuntime(name: (typeof BUILT_IN_RUNTIME_NAMES)[number]): ServingRuntime {
  return parse(readFileSync(join(REPO_ROOT, "config", "runtimes", `${name}.yaml`), "utf8")) as ServingRuntime;
}

export function loadRuntimeFixture(fileName: string): ServingRuntime {
  return parse(readFileSync(join(FIXTURES, fileName), "utf8")) as ServingRuntime;
}
