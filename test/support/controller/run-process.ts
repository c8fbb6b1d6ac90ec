/** `modelmesh-serving run` from source as a child process, as a user starts it; its stdout and stderr collected. */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "../control-plane/index.js";

const MAIN = path.join(REPO_ROOT, "src", "cli", "main.ts");

export class RunProcess {
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  #output = "";

  constructor(kubeconfigPath: string, args: string[], env: Record<string, string>) {
    this.#child = spawn(
      process.execPath,
      ["--import", "tsx", MAIN, "run", "--kubeconfig", kubeconfigPath, ...args],
      { env: { ...process.env, LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (this.#output += chunk));
    this.#child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (this.#output += chunk));
    this.exited = new Promise((resolve) => this.#child.once("close", (code) => resolve(code)));
  }

  /** Everything the process wrote so far. */
  get output(): string {
    return this.#output;
  }

  signal(name: NodeJS.Signals): void {
    this.#child.kill(name);
  }
}
