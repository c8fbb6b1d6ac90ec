/**
 * Regenerates the CRD files from the zod schemas in src/apis: crds/*.yaml (only the CRDs: `kubectl apply -f
 * crds/`, the Helm chart, the package and the image) and the kustomize install in config/crd/ (decision 0186).
 *
 *   npx tsx scripts/generate-crds.ts          write the files
 *   npx tsx scripts/generate-crds.ts --check  exit 1 when a committed file differs from what would be generated
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GENERATED_CRD_DIRS, renderGeneratedCrdFiles } from "../src/apis/crd/custom-resource-definitions.js";
import { loadKubernetesOpenApi } from "../src/apis/crd/kubernetes-definitions.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "..");

function currentText(file: string): string | undefined {
  const absolute = path.join(REPO_ROOT, file);
  return existsSync(absolute) ? readFileSync(absolute, "utf8") : undefined;
}

/** YAML files directly in a generated directory that nothing produces any more. */
function strayFiles(expected: Map<string, string>): string[] {
  return GENERATED_CRD_DIRS.flatMap((dir) => {
    const absolute = path.join(REPO_ROOT, dir);
    if (!existsSync(absolute)) return [];
    return readdirSync(absolute)
      .filter((name) => name.endsWith(".yaml") || name.endsWith(".yml"))
      .map((name) => `${dir}/${name}`)
      .filter((file) => !expected.has(file));
  });
}

function check(expected: Map<string, string>): number {
  const stale = [...expected].filter(([file, text]) => currentText(file) !== text).map(([file]) => file);
  stale.push(...strayFiles(expected));
  if (stale.length === 0) {
    console.log(`${GENERATED_CRD_DIRS.join(", ")} are up to date`);
    return 0;
  }
  console.error(`stale generated files (run npm run generate:crds):\n  ${stale.join("\n  ")}`);
  return 1;
}

function generate(expected: Map<string, string>): number {
  for (const file of strayFiles(expected)) {
    unlinkSync(path.join(REPO_ROOT, file));
    console.log(`removed ${file}`);
  }
  for (const [file, text] of expected) {
    const absolute = path.join(REPO_ROOT, file);
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, text);
    console.log(`wrote ${file}`);
  }
  return 0;
}

const expected = renderGeneratedCrdFiles(loadKubernetesOpenApi(REPO_ROOT));
process.exitCode = process.argv.includes("--check") ? check(expected) : generate(expected);
