/** `modelmesh-serving version`: the release and the commit it was built from. */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type CliIo, type Command, EXIT_OK, EXIT_USAGE } from "../io.js";

/** Set by the image build; a source checkout falls back to package.json and an unknown commit. */
export const VERSION_ENV = "MODELMESH_SERVING_VERSION";
export const COMMIT_ENV = "MODELMESH_SERVING_COMMIT";

const USAGE = `Usage: modelmesh-serving version

Prints the version and the commit this build comes from (env ${VERSION_ENV} and ${COMMIT_ENV}, stamped by
the image build; otherwise the package version and "unknown").
`;

/** Set to package.json's version by the bundle (scripts/bundle.ts); undeclared when running from sources. */
declare const MODELMESH_SERVING_PACKAGE_VERSION: string;

/** From sources, package.json sits three levels up from src/cli/commands. */
function packageVersion(): string {
  if (typeof MODELMESH_SERVING_PACKAGE_VERSION === "string") return MODELMESH_SERVING_PACKAGE_VERSION;
  try {
    const text = readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
    const parsed = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (parsed.name === "modelmesh-serving" && typeof parsed.version === "string") return parsed.version;
  } catch {
    // Not a checkout: the version is unknown.
  }
  return "unknown";
}

export function versionInfo(env: CliIo["env"]): { version: string; commit: string } {
  return {
    version: env[VERSION_ENV] || packageVersion(),
    commit: env[COMMIT_ENV] || "unknown",
  };
}

export const versionCommand: Command = {
  name: "version",
  summary: "print the version and commit",
  usage: USAGE,
  async run(args, io) {
    let help = false;
    try {
      help =
        parseArgs({ args: [...args], options: { help: { type: "boolean", short: "h" } } }).values.help ===
        true;
    } catch (error) {
      io.stderr(`${(error as Error).message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (help) {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    const { version, commit } = versionInfo(io.env);
    io.stdout(`modelmesh-serving ${version} (commit ${commit})\n`);
    return EXIT_OK;
  },
};
