/** client-go credential plugins (kubeconfig `exec`): run without a terminal, cached until they expire. */
import { spawn } from "node:child_process";
import type { Credentials } from "./resolved-access.js";

const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

/** A kubeconfig user's `exec` section, with `command` already resolved against the kubeconfig's directory. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  interactiveMode?: string | undefined;
  installHint?: string | undefined;
  /** `spec.cluster` of `KUBERNETES_EXEC_INFO`, when the kubeconfig sets `provideClusterInfo`. */
  cluster?: Record<string, unknown> | undefined;
}

function validateExecConfig(exec: ExecConfig): void {
  if (!EXEC_API_VERSIONS.includes(exec.apiVersion)) {
    throw new Error(
      `exec plugin apiVersion ${JSON.stringify(exec.apiVersion)} is not supported (use ${EXEC_API_VERSIONS.join(" or ")})`,
    );
  }
  if (exec.interactiveMode === "Always") {
    throw new Error(
      `exec plugin ${exec.command} needs interactiveMode Always, but the controller has no terminal`,
    );
  }
}

/**
 * Runs a client-go credential plugin (non-interactive, as client-go does without a terminal) and caches its
 * answer until `expirationTimestamp`; concurrent requests share one run.
 */
export class ExecCredentialPlugin {
  readonly #exec: ExecConfig;
  readonly #baseEnv: NodeJS.ProcessEnv;
  readonly #now: () => number;
  #cached: { credentials: Credentials; expiresAt: number } | undefined;
  #running: Promise<Credentials> | undefined;

  constructor(exec: ExecConfig, baseEnv: NodeJS.ProcessEnv = process.env, now: () => number = Date.now) {
    validateExecConfig(exec);
    this.#exec = exec;
    this.#baseEnv = baseEnv;
    this.#now = now;
  }

  credentials(): Promise<Credentials> {
    if (this.#cached && this.#now() < this.#cached.expiresAt)
      return Promise.resolve(this.#cached.credentials);
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<Credentials> {
    const output = await this.#spawn();
    const { credentials, expiresAt } = parseExecCredential(output, this.#exec);
    this.#cached = { credentials, expiresAt };
    return credentials;
  }

  #spawn(): Promise<string> {
    const exec = this.#exec;
    const info = {
      apiVersion: exec.apiVersion,
      kind: "ExecCredential",
      spec: { interactive: false, ...(exec.cluster ? { cluster: exec.cluster } : {}) },
    };
    const env: NodeJS.ProcessEnv = { ...this.#baseEnv };
    for (const { name, value } of exec.env) env[name] = value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify(info);
    return new Promise((resolve, reject) => {
      const child = spawn(exec.command, exec.args, { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.on("error", (error: NodeJS.ErrnoException) => {
        const hint = error.code === "ENOENT" && exec.installHint ? `\n${exec.installHint.trim()}` : "";
        reject(new Error(`exec plugin ${exec.command} could not start: ${error.message}${hint}`));
      });
      child.on("close", (code, signal) => {
        if (code === 0) resolve(stdout);
        else
          reject(
            new Error(
              `exec plugin ${exec.command} failed (${signal ?? `exit code ${code}`}): ${stderr.trim().slice(0, 500)}`,
            ),
          );
      });
    });
  }
}

function parseExecCredential(
  output: string,
  exec: ExecConfig,
): { credentials: Credentials; expiresAt: number } {
  const fail = (why: string) => new Error(`exec plugin ${exec.command} answered ${why}`);
  let answer: {
    apiVersion?: unknown;
    kind?: unknown;
    status?: {
      token?: unknown;
      clientCertificateData?: unknown;
      clientKeyData?: unknown;
      expirationTimestamp?: unknown;
    };
  };
  try {
    answer = JSON.parse(output);
  } catch {
    throw fail("no JSON ExecCredential");
  }
  if (answer.kind !== "ExecCredential") throw fail(`kind ${JSON.stringify(answer.kind)}, not ExecCredential`);
  if (answer.apiVersion !== exec.apiVersion)
    throw fail(`apiVersion ${JSON.stringify(answer.apiVersion)}, but was asked for ${exec.apiVersion}`);
  const status = answer.status;
  if (!status) throw fail("no status");
  const text = (value: unknown) => (typeof value === "string" && value.length > 0 ? value : undefined);
  const token = text(status.token);
  const cert = text(status.clientCertificateData);
  const key = text(status.clientKeyData);
  if ((cert === undefined) !== (key === undefined))
    throw fail("only one of clientCertificateData and clientKeyData");
  if (token === undefined && cert === undefined) throw fail("neither a token nor a client certificate");
  let expiresAt = Number.POSITIVE_INFINITY;
  if (status.expirationTimestamp !== undefined) {
    expiresAt = Date.parse(String(status.expirationTimestamp));
    if (Number.isNaN(expiresAt))
      throw fail(`expirationTimestamp ${JSON.stringify(status.expirationTimestamp)}`);
  }
  return {
    credentials: {
      token,
      cert: cert === undefined ? undefined : Buffer.from(cert),
      key: key === undefined ? undefined : Buffer.from(key),
    },
    expiresAt,
  };
}
