import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundle, EXTERNAL_PACKAGES } from "./bundle.js";

describe("the shipped bundle", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "mms-bundle-"));
  const built = bundle(path.join(dir, "modelmesh-serving.mjs"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("leaves only Node's built-ins and the named external packages to resolve at run time", async () => {
    const { externalImports } = await built;
    const builtins = new Set(builtinModules);
    const packages = externalImports.filter((name) => !builtins.has(name.replace(/^node:/, "")));
    expect(packages.sort()).toEqual([...EXTERNAL_PACKAGES].sort());
  }, 60_000);

  it("inlines only the controller's sources and its dependencies: no test infrastructure is shipped", async () => {
    const { inputs } = await built;
    expect(inputs).toContain("src/cli/main.ts");
    expect(inputs.filter((input) => !/^(src|node_modules)\//.test(input))).toEqual([]);
    expect(inputs.filter((input) => input.endsWith(".test.ts"))).toEqual([]);
  }, 60_000);

  it("keeps the entry point's shebang and links its source map", async () => {
    const { outfile } = await built;
    const text = readFileSync(outfile, "utf8");
    expect(text.split("\n")[0]).toBe("#!/usr/bin/env -S node --optimize-for-size");
    expect(text.trimEnd().endsWith("//# sourceMappingURL=modelmesh-serving.mjs.map")).toBe(true);
    const map = JSON.parse(readFileSync(`${outfile}.map`, "utf8")) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith("src/cli/main.ts"))).toBe(true);
  }, 60_000);
});
