import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { ClusterAccess } from "../cluster-access.js";
import { loadKubeconfigFile } from "./file.js";
import { TOKEN_FILE_REREAD_MS } from "./resolved-access.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "mms-kubeconfig-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(
  cluster: Record<string, unknown>,
  user: Record<string, unknown> | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "other", cluster: { server: "https://other:6443" } },
      { name: "dev", cluster },
    ],
    users: user ? [{ name: "dev-user", user }] : [],
    contexts: [
      { name: "other", context: { cluster: "other" } },
      { name: "dev", context: { cluster: "dev", ...(user ? { user: "dev-user" } : {}) } },
    ],
    "current-context": "dev",
    ...extra,
  };
}

function writeConfig(config: unknown, name = "config"): string {
  const file = path.join(dir, name);
  writeFileSync(file, stringify(config));
  return file;
}

async function applied(access: ClusterAccess): Promise<https.RequestOptions> {
  const options: https.RequestOptions = {};
  await access.applyToHTTPSOptions(options);
  return options;
}

describe("loadKubeconfigFile", () => {
  it("selects the current context's cluster and user and applies inline certificates", async () => {
    const file = writeConfig(
      kubeconfig(
        { server: "https://dev:6443", "certificate-authority-data": b64("CA"), "tls-server-name": "api.dev" },
        { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") },
      ),
    );
    const access = loadKubeconfigFile(file);
    expect(access.getCurrentCluster()).toEqual({ server: "https://dev:6443" });
    const options = await applied(access);
    expect(String(options.ca)).toBe("CA");
    expect(String(options.cert)).toBe("CERT");
    expect(String(options.key)).toBe("KEY");
    expect(options.servername).toBe("api.dev");
    expect(options.rejectUnauthorized).toBeUndefined();
    expect(options.headers).toBeUndefined();
  });

  it("resolves relative certificate, key and token files against the kubeconfig's directory", async () => {
    mkdirSync(path.join(dir, "pki"));
    writeFileSync(path.join(dir, "pki", "ca.crt"), "CA FILE");
    writeFileSync(path.join(dir, "pki", "client.crt"), "CERT FILE");
    writeFileSync(path.join(dir, "pki", "client.key"), "KEY FILE");
    writeFileSync(path.join(dir, "pki", "token"), "file-token\n");
    const file = writeConfig(
      kubeconfig(
        { server: "https://dev:6443", "certificate-authority": "pki/ca.crt" },
        { "client-certificate": "pki/client.crt", "client-key": "pki/client.key", tokenFile: "pki/token" },
      ),
    );
    // Loaded from elsewhere: the paths still resolve beside the file.
    const options = await applied(loadKubeconfigFile(path.relative(process.cwd(), file)));
    expect(String(options.ca)).toBe("CA FILE");
    expect(String(options.cert)).toBe("CERT FILE");
    expect(String(options.key)).toBe("KEY FILE");
    expect(options.headers).toEqual({ authorization: "Bearer file-token" });
  });

  it("prefers -data fields over the files beside them", async () => {
    const file = writeConfig(
      kubeconfig(
        {
          server: "https://dev:6443",
          "certificate-authority": "missing.crt",
          "certificate-authority-data": b64("CA DATA"),
        },
        undefined,
      ),
    );
    expect(String((await applied(loadKubeconfigFile(file))).ca)).toBe("CA DATA");
  });

  it("sends a token, basic auth, or nothing for a context without a user", async () => {
    const withToken = writeConfig(kubeconfig({ server: "https://dev:6443" }, { token: "abc" }), "token");
    expect((await applied(loadKubeconfigFile(withToken))).headers).toEqual({ authorization: "Bearer abc" });

    const basic = writeConfig(
      kubeconfig({ server: "https://dev:6443" }, { username: "u", password: "p" }),
      "b",
    );
    expect((await applied(loadKubeconfigFile(basic))).auth).toBe("u:p");

    const anonymous = writeConfig(kubeconfig({ server: "http://dev:8080" }, undefined), "anon");
    expect(await applied(loadKubeconfigFile(anonymous))).toEqual({});
  });

  it("turns off verification for insecure-skip-tls-verify", async () => {
    const file = writeConfig(
      kubeconfig({ server: "https://dev:6443", "insecure-skip-tls-verify": true }, { token: "t" }),
    );
    expect((await applied(loadKubeconfigFile(file))).rejectUnauthorized).toBe(false);
  });

  it("re-reads a tokenFile once the period has passed; its token wins over token", async () => {
    let now = 1_000_000;
    writeFileSync(path.join(dir, "token"), "first");
    const file = writeConfig(
      kubeconfig({ server: "https://dev:6443" }, { token: "static", tokenFile: "token" }),
    );
    const access = loadKubeconfigFile(file, { now: () => now });
    expect((await applied(access)).headers).toEqual({ authorization: "Bearer first" });
    writeFileSync(path.join(dir, "token"), "second");
    now += TOKEN_FILE_REREAD_MS - 1;
    expect((await applied(access)).headers).toEqual({ authorization: "Bearer first" });
    now += 1;
    expect((await applied(access)).headers).toEqual({ authorization: "Bearer second" });
    // A token file that disappears keeps the last good token.
    rmSync(path.join(dir, "token"));
    now += TOKEN_FILE_REREAD_MS;
    expect((await applied(access)).headers).toEqual({ authorization: "Bearer second" });
  });

  it("names what it does not support", () => {
    const authProvider = writeConfig(
      kubeconfig({ server: "https://dev:6443" }, { "auth-provider": { name: "gcp" } }),
      "ap",
    );
    expect(() => loadKubeconfigFile(authProvider)).toThrow(
      `kubeconfig ${authProvider}: user dev-user uses auth-provider, which modelmesh-serving does not support`,
    );
    const proxy = writeConfig(
      kubeconfig({ server: "https://dev:6443", "proxy-url": "http://proxy" }, {}),
      "px",
    );
    expect(() => loadKubeconfigFile(proxy)).toThrow("cluster dev uses proxy-url, which");
    const impersonation = writeConfig(kubeconfig({ server: "https://dev:6443" }, { as: "admin" }), "as");
    expect(() => loadKubeconfigFile(impersonation)).toThrow("user dev-user uses as, which");
  });

  it("explains configurations it cannot use", () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        kubeconfig({ server: "https://dev:6443" }, undefined, { "current-context": "" }),
        "no current-context",
      ],
      [
        kubeconfig({ server: "https://dev:6443" }, undefined, { "current-context": "gone" }),
        'no context named "gone" in contexts',
      ],
      [kubeconfig({}, undefined), "cluster dev has no server"],
      [
        kubeconfig({ server: "https://dev:6443", "certificate-authority": "nope.crt" }, undefined),
        `cluster dev certificate-authority ${path.join(dir, "nope.crt")}: ENOENT`,
      ],
      [
        kubeconfig({ server: "https://dev:6443" }, { "client-certificate-data": b64("C") }),
        "user dev-user needs both a client certificate and a client key",
      ],
      [
        kubeconfig({ server: "https://dev:6443" }, { token: "t", username: "u", password: "p" }),
        "user dev-user sets both a username/password and a token",
      ],
      [
        kubeconfig(
          {
            server: "https://dev:6443",
            "insecure-skip-tls-verify": true,
            "certificate-authority-data": b64("CA"),
          },
          undefined,
        ),
        "cluster dev sets both a certificate authority and insecure-skip-tls-verify",
      ],
      [kubeconfig({ server: "https://dev:6443" }, { tokenFile: "absent" }), "ENOENT"],
    ];
    for (const [config, message] of cases) {
      const file = writeConfig(config);
      expect(() => loadKubeconfigFile(file), message).toThrow(message);
    }
    writeFileSync(path.join(dir, "list"), "- not\n- a mapping\n");
    expect(() => loadKubeconfigFile(path.join(dir, "list"))).toThrow("not a kubeconfig");
  });
});
