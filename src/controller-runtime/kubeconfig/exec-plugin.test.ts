import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadKubeconfigFile } from "./file.js";

const V1 = "client.authentication.k8s.io/v1";
const V1BETA1 = "client.authentication.k8s.io/v1beta1";

let dir: string;
let now: number;

/**
 * A credential plugin as a shell script beside the kubeconfig: it records each call (arguments, env) in
 * `calls.jsonl` and prints `answer.json`, or fails when `answer.json` says FAIL.
 */
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "mms-exec-plugin-"));
  now = Date.parse("2026-01-01T00:00:00Z");
  writeFileSync(
    path.join(dir, "plugin.mjs"),
    `import { appendFileSync, readFileSync } from "node:fs";
const dir = ${JSON.stringify(dir)};
appendFileSync(dir + "/calls.jsonl", JSON.stringify({ args: process.argv.slice(2), extra: process.env.EXTRA,
  info: JSON.parse(process.env.KUBERNETES_EXEC_INFO) }) + "\\n");
const answer = readFileSync(dir + "/answer.json", "utf8");
if (answer === "FAIL") { process.stderr.write("token service unreachable"); process.exit(3); }
process.stdout.write(answer);
`,
  );
  writeFileSync(
    path.join(dir, "plugin.sh"),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(dir, "plugin.mjs"))} "$@"\n`,
  );
  chmodSync(path.join(dir, "plugin.sh"), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function answer(status: Record<string, unknown> | "FAIL", apiVersion = V1): void {
  writeFileSync(
    path.join(dir, "answer.json"),
    status === "FAIL" ? "FAIL" : JSON.stringify({ apiVersion, kind: "ExecCredential", status }),
  );
}

function calls(): { args: string[]; extra?: string; info: Record<string, unknown> }[] {
  try {
    return readFileSync(path.join(dir, "calls.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

function execKubeconfig(exec: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const file = path.join(dir, "config");
  writeFileSync(
    file,
    stringify({
      clusters: [{ name: "c", cluster: { server: "https://c:6443", ...cluster } }],
      users: [{ name: "u", user: { exec: { apiVersion: V1, command: "./plugin.sh", ...exec } } }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
      "current-context": "c",
    }),
  );
  return file;
}

async function applied(file: string): Promise<https.RequestOptions> {
  const access = loadKubeconfigFile(file, { env: { PATH: process.env.PATH }, now: () => now });
  const options: https.RequestOptions = {};
  await access.applyToHTTPSOptions(options);
  return options;
}

describe("exec credential plugins", () => {
  it("runs the plugin (resolved beside the kubeconfig) with its args, env and KUBERNETES_EXEC_INFO", async () => {
    answer({ token: "from-plugin" });
    const file = execKubeconfig({
      args: ["get-token", "--cluster=c"],
      env: [{ name: "EXTRA", value: "set" }],
      interactiveMode: "IfAvailable",
    });
    expect((await applied(file)).headers).toEqual({ authorization: "Bearer from-plugin" });
    expect(calls()).toEqual([
      {
        args: ["get-token", "--cluster=c"],
        extra: "set",
        info: { apiVersion: V1, kind: "ExecCredential", spec: { interactive: false } },
      },
    ]);
  });

  it("speaks v1beta1 and gives the cluster to plugins that ask for it", async () => {
    answer({ token: "beta" }, V1BETA1);
    const file = execKubeconfig(
      { apiVersion: V1BETA1, provideClusterInfo: true },
      {
        "certificate-authority-data": Buffer.from("CA").toString("base64"),
        extensions: [{ name: "client.authentication.k8s.io/exec", extension: { audience: "mesh" } }],
      },
    );
    expect((await applied(file)).headers).toEqual({ authorization: "Bearer beta" });
    expect(calls()[0]?.info).toEqual({
      apiVersion: V1BETA1,
      kind: "ExecCredential",
      spec: {
        interactive: false,
        cluster: {
          server: "https://c:6443",
          "certificate-authority-data": Buffer.from("CA").toString("base64"),
          config: { audience: "mesh" },
        },
      },
    });
  });

  it("applies a client certificate from the plugin", async () => {
    answer({ clientCertificateData: "PLUGIN CERT", clientKeyData: "PLUGIN KEY" });
    const options = await applied(execKubeconfig({}));
    expect(String(options.cert)).toBe("PLUGIN CERT");
    expect(String(options.key)).toBe("PLUGIN KEY");
    expect(options.headers).toBeUndefined();
  });

  it("caches the answer until expirationTimestamp, and shares one run between concurrent requests", async () => {
    answer({ token: "one", expirationTimestamp: "2026-01-01T00:10:00Z" });
    const access = loadKubeconfigFile(execKubeconfig({}), {
      env: { PATH: process.env.PATH },
      now: () => now,
    });
    const header = async () => {
      const options: https.RequestOptions = {};
      await access.applyToHTTPSOptions(options);
      return options.headers;
    };
    expect(await Promise.all([header(), header(), header()])).toEqual([
      { authorization: "Bearer one" },
      { authorization: "Bearer one" },
      { authorization: "Bearer one" },
    ]);
    answer({ token: "two" });
    now = Date.parse("2026-01-01T00:09:59Z");
    expect(await header()).toEqual({ authorization: "Bearer one" });
    expect(calls()).toHaveLength(1);
    now = Date.parse("2026-01-01T00:10:00Z");
    expect(await header()).toEqual({ authorization: "Bearer two" });
    // Without an expiry the answer stands.
    now += 86_400_000;
    expect(await header()).toEqual({ authorization: "Bearer two" });
    expect(calls()).toHaveLength(2);
  });

  it("reports a failing, missing or misbehaving plugin", async () => {
    answer("FAIL");
    await expect(applied(execKubeconfig({}))).rejects.toThrow(
      `exec plugin ${path.join(dir, "plugin.sh")} failed (exit code 3): token service unreachable`,
    );
    await expect(
      applied(execKubeconfig({ command: "mms-no-such-plugin", installHint: "install mms-no-such-plugin" })),
    ).rejects.toThrow(/could not start: .*ENOENT.*\ninstall mms-no-such-plugin/s);
    answer({ token: "t" }, V1BETA1);
    await expect(applied(execKubeconfig({}))).rejects.toThrow(
      `answered apiVersion "${V1BETA1}", but was asked for ${V1}`,
    );
    answer({ clientCertificateData: "C" });
    await expect(applied(execKubeconfig({}))).rejects.toThrow("only one of clientCertificateData");
    answer({});
    await expect(applied(execKubeconfig({}))).rejects.toThrow("neither a token nor a client certificate");
  });

  it("refuses unknown apiVersions and interactive-only plugins at load", () => {
    expect(() =>
      loadKubeconfigFile(execKubeconfig({ apiVersion: "client.authentication.k8s.io/v1alpha1" })),
    ).toThrow('exec plugin apiVersion "client.authentication.k8s.io/v1alpha1" is not supported');
    expect(() => loadKubeconfigFile(execKubeconfig({ interactiveMode: "Always" }))).toThrow(
      "needs interactiveMode Always, but the controller has no terminal",
    );
  });
});
