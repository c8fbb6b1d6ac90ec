/**
 * The controller image without a Docker engine: hadolint passes on both Dockerfiles, and the runtime stage's recipe
 * (a clean production-only `npm ci`, the compiled sources, the image's entrypoint and env) yields a working
 * `modelmesh-serving`.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMIT_ENV, VERSION_ENV } from "../../src/cli/commands/version.js";
import { REPO_ROOT } from "../support/control-plane/index.js";

const execFileAsync = promisify(execFile);
const dockerfile = readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8");

/** The JSON array of an exec-form instruction of the Dockerfile's last stage. */
function execForm(instruction: string): string[] {
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const line = lastStage.match(new RegExp(`^${instruction} (\\[.*\\])$`, "m"))?.[1];
  return line ? (JSON.parse(line) as string[]) : [];
}

describe("the Dockerfiles", () => {
  it(
    "pass hadolint",
    async () => {
      const { stderr } = await execFileAsync("bash", [path.join(REPO_ROOT, "scripts/lint-dockerfiles.sh")], {
        timeout: 5 * 60_000,
      });
      expect(stderr).toContain("Dockerfile and Dockerfile.develop pass hadolint");
    },
    5 * 60_000,
  );

  it("start the package's bin with node as PID 1, in exec form", () => {
    const bin = (
      JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
        bin: Record<string, string>;
      }
    ).bin["modelmesh-serving"];
    // V8 sized for a small heap (decision 0141); the bin's shebang passes the same flag.
    expect(execForm("ENTRYPOINT")).toEqual(["node", "--optimize-for-size", `/app/${bin}`]);
    expect(readFileSync(path.join(REPO_ROOT, "src/cli/main.ts"), "utf8").split("\n")[0]).toBe(
      "#!/usr/bin/env -S node --optimize-for-size",
    );
    expect(execForm("CMD")).toEqual(["run"]);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toContain("npm ci --omit=dev");
  });

  it("name the base image in BASE_IMAGE_TAG, on a supported Node LTS line", () => {
    const tag = readFileSync(path.join(REPO_ROOT, "BASE_IMAGE_TAG"), "utf8").trim();
    expect(dockerfile).toContain(`ARG BASE_IMAGE_TAG=${tag}\n`);
    expect(readFileSync(path.join(REPO_ROOT, "Dockerfile.develop"), "utf8")).toContain(
      `ARG BASE_IMAGE_TAG=${tag}\n`,
    );
    const major = Number(tag.split(/[.-]/)[0]);
    expect(major % 2 === 0 && major >= 22).toBe(true);
  });
});

describe("the runtime stage's recipe, outside Docker", () => {
  let app: string;

  beforeAll(async () => {
    app = mkdtempSync(path.join(tmpdir(), "mms-image-"));
    for (const file of ["package.json", "package-lock.json"])
      copyFileSync(path.join(REPO_ROOT, file), path.join(app, file));
    await execFileAsync(
      "npm",
      ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"],
      { cwd: app, timeout: 5 * 60_000 },
    );
    await execFileAsync(
      path.join(REPO_ROOT, "node_modules/.bin/tsc"),
      [
        "-p",
        path.join(REPO_ROOT, "tsconfig.build.json"),
        "--outDir",
        path.join(app, "dist"),
        "--sourceMap",
        "false",
      ],
      { timeout: 5 * 60_000 },
    );
  }, 10 * 60_000);
  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  /** Runs the image's entrypoint with the image's env, as the image would. */
  const entrypoint = (args: string[]) => {
    const [node, ...nodeArgs] = execForm("ENTRYPOINT");
    const script = nodeArgs.pop() ?? "";
    return execFileAsync(
      node === "node" ? process.execPath : (node ?? ""),
      [...nodeArgs, path.join(app, path.relative("/app", script)), ...args],
      {
        cwd: app,
        env: {
          PATH: process.env.PATH ?? "",
          NODE_ENV: "production",
          [VERSION_ENV]: "v9.8.7",
          [COMMIT_ENV]: "0123456789abcdef",
        },
      },
    );
  };

  it("stamps the image's version and commit where `modelmesh-serving version` reads them", async () => {
    expect(dockerfile).toContain(`${VERSION_ENV}=\${IMAGE_VERSION}`);
    expect(dockerfile).toContain(`${COMMIT_ENV}=\${COMMIT_SHA}`);
    const { stdout } = await entrypoint(["version"]);
    expect(stdout).toContain("v9.8.7");
    expect(stdout).toContain("0123456789abcdef");
  });

  it("answers --help from production dependencies alone", async () => {
    const { stdout } = await entrypoint(["--help"]);
    expect(stdout).toMatch(/run/);
    expect(stdout).toMatch(/version/);
  });
});
