import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiServer: string;
  kubectl: string;
}

export const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const BUILD_SCRIPT = path.join(REPO_ROOT, "scripts/build-control-plane.sh");

let cached: Promise<ControlPlaneBinaries> | undefined;

/**
 * The Go-built control-plane binaries, built once per machine by scripts/build-control-plane.sh (a cache hit
 * costs a fraction of a second). The script prints one clear message when it cannot build.
 */
export function controlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  cached ??= locate();
  return cached;
}

async function locate(): Promise<ControlPlaneBinaries> {
  let binDir: string;
  try {
    const { stdout } = await execFileAsync("bash", [BUILD_SCRIPT], {
      maxBuffer: 1 << 20,
      timeout: 60 * 60_000,
    });
    binDir = stdout.trim().split("\n").pop() ?? "";
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`the local control plane could not be built:\n${stderr || String(error)}`);
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
