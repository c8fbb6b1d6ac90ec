import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiServer: string;
  kubectl: string;
}

export const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const BUILD_SCRIPT = path.join(REPO_ROOT, "scripts/build-control-plane.sh");
/** Far beyond a cold build on a slow machine; only a hung toolchain reaches it. */
const BUILD_TIMEOUT_MS = 60 * 60_000;

let cached: Promise<ControlPlaneBinaries> | undefined;

/**
 * The Go-built control-plane binaries, built once per machine by scripts/build-control-plane.sh (a cache hit
 * costs a fraction of a second and prints nothing). A build's progress goes to this process's stderr as it happens
 * (up to 10 minutes cold); the script prints one clear message when it cannot build.
 */
export function controlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  cached ??= locate();
  return cached;
}

/** Runs the build script, passing its stderr through; resolves with its stdout. */
function runBuildScript(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [BUILD_SCRIPT], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: BUILD_TIMEOUT_MS,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(stderr.trim() || `exit code ${code}`));
    });
  });
}

async function locate(): Promise<ControlPlaneBinaries> {
  let binDir: string;
  try {
    binDir = (await runBuildScript()).trim().split("\n").pop() ?? "";
  } catch (error) {
    throw new Error(
      `the local control plane could not be built:\n${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const binaries = {
    etcd: path.join(binDir, "etcd"),
    kubeApiServer: path.join(binDir, "kube-apiserver"),
    kubectl: path.join(binDir, "kubectl"),
  };
  for (const file of Object.values(binaries)) {
    if (!existsSync(file))
      throw new Error(`${file} is missing; delete ${binDir}/.. and run npm run control-plane:build`);
  }
  return binaries;
}
