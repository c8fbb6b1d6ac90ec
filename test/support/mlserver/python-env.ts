/**
 * TEST/SANDBOX INFRASTRUCTURE — never shipped. The cached Python environment that runs MLServer:
 * `scripts/python-env.sh` installs it once per machine from the pinned requirements (about a minute cold, well
 * under a second when cached) and prints its bin directory. Concurrent callers are safe: the script holds a lock.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "../control-plane/binaries.js";

/** Creates the environment if needed and resolves with its bin directory; the script's progress goes to stderr. */
export function pythonEnvBinDir(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(REPO_ROOT, "scripts/python-env.sh")], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      const binDir = stdout.trim().split("\n").at(-1) ?? "";
      if (code === 0 && binDir !== "") resolve(binDir);
      else reject(new Error(`scripts/python-env.sh failed (exit ${code}); its message is above`));
    });
  });
}
