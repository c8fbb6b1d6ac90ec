/**
 * Regenerates crds/*.yaml and the kustomizations that install them from the zod schemas in src/apis.
 *
 *   npx tsx scripts/generate-crds.ts          write the files
 *   npx tsx scripts/generate-crds.ts --check  exit 1 when a committed file differs from what would be generated
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  renderAllCrds,
  renderConfigCrdKustomization,
  renderCrdsKustomization,
} from "../src/apis/crd/custom-resource-definitions.js";
import { loadKubernetesOpenApi } from "../src/apis/crd/kubernetes-definitions.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "..");
const CRDS_DIR = "crds";

function expectedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, text] of renderAllCrds(loadKubernetesOpenApi(REPO_ROOT)))
    files.set(`${CRDS_DIR}/${name}`, text);
  files.set(`${CRDS_DIR}/kustomization.yaml`, renderCrdsKustomization());
  files.set("config/crd/kustomization.yaml", renderConfigCrdKustomization());
  return files;
}

function currentText(file: string): string | undefined {
  const absolute = path.join(REPO_ROOT, file);
  return existsSync(absolute) ? readFileSync(absolute, "utf8") : undefined;
}

/** YAML files in crds/ that no CRD produces any more. */
function strayFiles(expected: Map<string, string>): string[] {
  const dir = path.join(REPO_ROOT, CRDS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".yaml"))
    .map((name) => `${CRDS_DIR}/${name}`)
    .filter((file) => !expected.has(file));
}

function check(): number {
  const expected = expectedFiles();
  const stale = [...expected].filter(([file, text]) => currentText(file) !== text).map(([file]) => file);
  stale.push(...strayFiles(expected));
  if (stale.length === 0) {
    console.log("crds/ is up to date");
    return 0;
  }
  console.error(`stale generated files (run npm run generate:crds):\n  ${stale.join("\n  ")}`);
  return 1;
}

function generate(): number {
  const expected = expectedFiles();
  for (const file of strayFiles(expected)) unlinkSync(path.join(REPO_ROOT, file));
  for (const [file, text] of expected) {
    const absolute = path.join(REPO_ROOT, file);
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, text);
    console.log(`wrote ${file}`);
  }
  return 0;
}

process.exitCode = process.argv.includes("--check") ? check() : generate();
