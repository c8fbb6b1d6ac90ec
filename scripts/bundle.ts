/**
 * Builds the one shipped artifact: `dist/modelmesh-serving.mjs`, the controller and its CLI in a single minified
 * ES module (decision 0204). The image, the package's bin, the end-to-end suites and the bench all run it.
 *
 *   npx tsx scripts/bundle.ts     (`npm run build`, after the protobuf code is generated)
 *
 * Type checking is `npm run typecheck`; esbuild only strips the types.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const REPO_ROOT = path.resolve(import.meta.dirname, "..");

export const BUNDLE_PATH = path.join(REPO_ROOT, "dist/modelmesh-serving.mjs");

/**
 * Resolved from node_modules at run time. etcd3 reads its `.proto` files next to its own modules, so it cannot be
 * inlined; grpc-js goes with it, so that etcd3 and the ModelMesh client share one copy.
 */
export const EXTERNAL_PACKAGES = ["etcd3", "@grpc/grpc-js"] as const;

/** The constant `src/cli/commands/version.ts` reads in place of package.json. */
const PACKAGE_VERSION_CONSTANT = "MODELMESH_SERVING_PACKAGE_VERSION";

/** The CommonJS dependencies inlined into the module call `require` for Node's built-ins. */
const REQUIRE_BANNER =
  'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);';

export interface BundleResult {
  readonly outfile: string;
  /** Every module the bundle leaves to Node to resolve at run time (built-ins and EXTERNAL_PACKAGES). */
  readonly externalImports: readonly string[];
  /** The files inlined into it, relative to the repository. */
  readonly inputs: readonly string[];
}

export async function bundle(outfile: string = BUNDLE_PATH): Promise<BundleResult> {
  const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  const { metafile } = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ["src/cli/main.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    // Not loaded unless Node runs with --enable-source-maps, which maps a stack trace back to src/.
    sourcemap: "linked",
    sourcesContent: false,
    external: [...EXTERNAL_PACKAGES],
    banner: { js: REQUIRE_BANNER },
    define: { [PACKAGE_VERSION_CONSTANT]: JSON.stringify(version) },
    metafile: true,
    logLevel: "warning",
  });
  const externalImports = new Set(
    Object.values(metafile.outputs).flatMap((output) =>
      output.imports.filter((entry) => entry.external).map((entry) => entry.path),
    ),
  );
  return {
    outfile,
    externalImports: [...externalImports].sort(),
    inputs: Object.keys(metafile.inputs).sort(),
  };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  console.log(path.relative(REPO_ROOT, (await bundle()).outfile));
}
