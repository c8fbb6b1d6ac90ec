/**
 * The layering of src/, checked on every relative import of every non-test module: a module imports only from
 * its own layer or the layers below, folders of one layer import each other without cycles, and the controllers
 * do not import one another (what they share lives below them). Every module opens with its purpose.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = path.dirname(fileURLToPath(import.meta.url));

/**
 * Folder (or file) of src/ → its layer; the longest matching entry decides. Lower layers know nothing above.
 */
const LAYERS: Record<string, number> = {
  lib: 0,
  apis: 1,
  config: 1,
  "controller-runtime": 2,
  builders: 2,
  "modelmesh-client": 3,
  webhook: 3,
  "controllers/names.ts": 4,
  "controllers/context": 4,
  "controllers/caches": 4,
  "controllers/namespace": 5,
  "controllers/serving-runtime": 5,
  "controllers/model": 5,
  "controllers/index.ts": 6,
  cli: 7,
};

/** Units of one layer that must not import each other at all. */
const INDEPENDENT = [["controllers/namespace", "controllers/serving-runtime", "controllers/model"]];

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory())
      return entry.name === "gen" || entry.name === "__golden__" ? [] : sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

function unitOf(file: string): string {
  const relative = path.relative(SRC, file).split(path.sep).join("/");
  const match = Object.keys(LAYERS)
    .filter((unit) => relative === unit || relative.startsWith(`${unit}/`))
    .sort((a, b) => b.length - a.length)[0];
  if (match === undefined) throw new Error(`src/${relative} belongs to no layer: add its folder to LAYERS`);
  return match;
}

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)"(\.\.?\/[^"]+)"/g;

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? "";
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, ".ts");
      if (!target.startsWith(SRC + path.sep)) continue;
      const from = unitOf(file);
      const to = unitOf(target);
      if (from !== to) edges.push({ from, to, file: path.relative(SRC, file), spec });
    }
  }
  return edges;
}

function cycles(edges: readonly Edge[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) next.set(from, (next.get(from) ?? new Set()).add(to));
  const found: string[] = [];
  // Each cycle is reported once, from its smallest unit.
  const visit = (start: string, unit: string, trail: string[]) => {
    for (const to of next.get(unit) ?? []) {
      if (to === start) found.push([...trail, to].join(" → "));
      else if (!trail.includes(to) && to > start) visit(start, to, [...trail, to]);
    }
  };
  for (const unit of next.keys()) visit(unit, unit, [unit]);
  return found;
}

describe("the layers of src/", () => {
  const edges = importEdges();

  it("no module imports from a layer above its own", () => {
    const upward = edges
      .filter(({ from, to }) => (LAYERS[to] ?? 0) > (LAYERS[from] ?? 0))
      .map(
        ({ file, spec, from, to }) =>
          `src/${file} imports ${spec} (${from} ${LAYERS[from]} → ${to} ${LAYERS[to]})`,
      );
    expect(upward).toEqual([]);
  });

  it("folders import each other without cycles", () => {
    expect(cycles(edges)).toEqual([]);
  });

  it("the controllers do not import one another", () => {
    const sideways = edges
      .filter(({ from, to }) => INDEPENDENT.some((group) => group.includes(from) && group.includes(to)))
      .map(({ file, spec }) => `src/${file} imports ${spec}`);
    expect(sideways).toEqual([]);
  });

  it("every module opens with a comment saying what it is for", () => {
    const silent = sourceFiles(SRC)
      .filter((file) => !/^(#![^\n]*\n)?\/\*\*/.test(readFileSync(file, "utf8")))
      .map((file) => `src/${path.relative(SRC, file)}`);
    expect(silent).toEqual([]);
  });

  it("the check sees the imports (a broken pattern would pass vacuously)", () => {
    expect(edges.some(({ from, to }) => from === "cli" && to === "config")).toBe(true);
  });
});
