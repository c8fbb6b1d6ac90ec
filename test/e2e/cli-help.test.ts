/**
 * The `modelmesh-serving` binary as a user runs it (the bundle the image and the package ship, as a process, not
 * the in-memory CLI): `--help` on it and on each command prints a complete usage on stdout and exits 0, and
 * `version` names the package's version.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { BUNDLE_PATH } from "../../scripts/bundle.js";
import { REPO_ROOT } from "../support/control-plane/index.js";
import { RUN_OPTIONS } from "../support/controller/run-options.js";

const execFileAsync = promisify(execFile);

async function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [BUNDLE_PATH, ...args], {
    env: {
      ...process.env,
      KUBECONFIG: "/nonexistent",
      MODELMESH_SERVING_VERSION: "",
      MODELMESH_SERVING_COMMIT: "",
    },
  });
}

/** Every option each command accepts, as its --help must show them. */
const OPTIONS: Record<string, string[]> = {
  run: RUN_OPTIONS,
  render: ["-f, --file", "-c, --config", "-n, --namespace", "-h, --help"],
  version: ["MODELMESH_SERVING_VERSION", "MODELMESH_SERVING_COMMIT"],
};

describe("modelmesh-serving --help", () => {
  it("lists every command", async () => {
    const { stdout, stderr } = await cli(["--help"]);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/^Usage: modelmesh-serving <command> \[options\]/);
    for (const command of Object.keys(OPTIONS)) expect(stdout).toMatch(new RegExp(`^  ${command} +\\S`, "m"));
  });

  it.each(Object.keys(OPTIONS))("%s --help and -h print its usage with every option", async (command) => {
    for (const flag of ["--help", "-h"]) {
      const { stdout, stderr } = await cli([command, flag]);
      expect(stderr).toBe("");
      expect(stdout).toMatch(new RegExp(`^Usage: modelmesh-serving ${command}`));
      for (const option of OPTIONS[command] ?? []) expect(stdout, option).toContain(option);
    }
  });
});

describe("modelmesh-serving version", () => {
  it("names package.json's version, baked into the bundle, with no stamp in the environment", async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(await cli(["version"])).toEqual({
      stdout: `modelmesh-serving ${version} (commit unknown)\n`,
      stderr: "",
    });
  });
});
