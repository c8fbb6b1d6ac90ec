/**
 * The controller image without a Docker engine: hadolint passes on both Dockerfiles, and the runtime stage's recipe
 * (the build stage's steps, a clean production-only `npm ci`, the image's entrypoint and env) yields a working
 * `modelmesh-serving`.
 */
import { execFile } from "node:child_process";
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
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

/** The instructions of one stage (`FROM ... AS name`), continuation lines joined. */
function stageInstructions(name: string): { keyword: string; args: string }[] {
  const stages = dockerfile.replaceAll("\\\n", " ").split(/^(?=FROM )/m);
  const stage = stages.find((text) =>
    new RegExp(`^FROM \\S+ AS ${name}$`, "m").test(text.split("\n")[0] ?? ""),
  );
  if (stage === undefined) throw new Error(`the Dockerfile has no stage ${name}`);
  return stage
    .split("\n")
    .map((line) => line.match(/^([A-Z]+) (.*)$/))
    .filter((match) => match !== null)
    .map(([, keyword = "", args = ""]) => ({ keyword, args }));
}

/** What a COPY without `--from` names: sources in the build context and a destination. */
function copyOperands(args: string): { sources: string[]; destination: string } {
  const words = args.split(/\s+/);
  return { sources: words.slice(0, -1), destination: words.at(-1) ?? "" };
}

/** `COPY a b dest`: Docker's rules for a file or a directory's contents into a file or directory destination. */
function copyInto(from: string, sources: string[], destination: string, workdir: string): void {
  const target = path.resolve(workdir, destination);
  const intoDirectory = destination.endsWith("/") || sources.length > 1;
  for (const source of sources) {
    const absolute = path.join(from, source);
    const file = !statSync(absolute).isDirectory();
    cpSync(absolute, file && intoDirectory ? path.join(target, path.basename(source)) : target, {
      recursive: true,
    });
  }
}

describe("the Dockerfile's stages, outside Docker", () => {
  const build = stageInstructions("build");

  it("copy only what .dockerignore lets into the build context", () => {
    const allowed = readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1).replace(/\/$/, ""));
    const copied = build
      .filter(({ keyword, args }) => keyword === "COPY" && !args.startsWith("--from"))
      .flatMap(({ args }) => copyOperands(args).sources);
    expect(copied.length).toBeGreaterThan(0);
    for (const source of copied)
      expect(
        allowed.some((entry) => source === entry || source.startsWith(`${entry}/`)),
        source,
      ).toBe(true);
  });

  let app: string;

  // The build stage's COPY and RUN lines in a scratch directory, then the runtime stage's layout: a clean
  // production-only install, and what it copies from the build stage.
  beforeAll(async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), "mms-image-build-"));
    app = mkdtempSync(path.join(tmpdir(), "mms-image-"));
    try {
      for (const { keyword, args } of build) {
        if (keyword === "COPY") {
          const { sources, destination } = copyOperands(args);
          copyInto(REPO_ROOT, sources, destination, scratch);
        } else if (keyword === "RUN") {
          await execFileAsync("bash", ["-c", args], {
            cwd: scratch,
            env: { ...process.env, npm_config_prefer_offline: "true" },
            timeout: 8 * 60_000,
          });
        }
      }
      for (const file of ["package.json", "package-lock.json"])
        copyFileSync(path.join(REPO_ROOT, file), path.join(app, file));
      await execFileAsync(
        "npm",
        ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"],
        { cwd: app, timeout: 5 * 60_000 },
      );
      const fromBuild = dockerfile.match(/^COPY --from=build (.+)$/m)?.[1];
      if (fromBuild === undefined) throw new Error("the runtime stage copies nothing from the build stage");
      const { sources, destination } = copyOperands(fromBuild);
      copyInto(
        scratch,
        sources.map((source) => path.relative("/src", source)),
        destination,
        app,
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 15 * 60_000);
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
