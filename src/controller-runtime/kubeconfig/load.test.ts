import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { ClusterAccess } from "../cluster-access.js";
import { loadClusterAccess } from "./load.js";
import { TOKEN_FILE_REREAD_MS } from "./resolved-access.js";

let dir: string;
let home: string;
let serviceAccountDir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "mms-kube-config-"));
  home = path.join(dir, "home");
  serviceAccountDir = path.join(dir, "serviceaccount");
  mkdirSync(path.join(home, ".kube"), { recursive: true });
  mkdirSync(serviceAccountDir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfigAt(file: string, server: string): string {
  writeFileSync(
    file,
    stringify({
      clusters: [{ name: "c", cluster: { server } }],
      contexts: [{ name: "c", context: { cluster: "c" } }],
      "current-context": "c",
    }),
  );
  return file;
}

function serviceAccount(token: string): void {
  writeFileSync(path.join(serviceAccountDir, "token"), token);
  writeFileSync(path.join(serviceAccountDir, "ca.crt"), "IN-CLUSTER CA");
}

const inCluster = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };

function server(env: NodeJS.ProcessEnv, kubeconfig?: string): string | undefined {
  return loadClusterAccess({ kubeconfig, env, homeDir: home, serviceAccountDir }).getCurrentCluster()?.server;
}

async function applied(access: ClusterAccess): Promise<https.RequestOptions> {
  const options: https.RequestOptions = {};
  await access.applyToHTTPSOptions(options);
  return options;
}

describe("loadClusterAccess", () => {
  it("takes --kubeconfig, then KUBECONFIG, then the service account, then ~/.kube/config", () => {
    const flag = kubeconfigAt(path.join(dir, "flag"), "https://flag:6443");
    const fromEnv = kubeconfigAt(path.join(dir, "env"), "https://env:6443");
    kubeconfigAt(path.join(home, ".kube", "config"), "https://home:6443");
    serviceAccount("sa-token");

    expect(server({ ...inCluster, KUBECONFIG: fromEnv }, flag)).toBe("https://flag:6443");
    expect(server({ ...inCluster, KUBECONFIG: fromEnv })).toBe("https://env:6443");
    expect(server(inCluster)).toBe("https://10.96.0.1:443");
    expect(server({})).toBe("https://home:6443");
  });

  it("uses the first existing file of KUBECONFIG", () => {
    const second = kubeconfigAt(path.join(dir, "second"), "https://second:6443");
    const third = kubeconfigAt(path.join(dir, "third"), "https://third:6443");
    const list = [path.join(dir, "absent"), second, third].join(path.delimiter);
    expect(server({ KUBECONFIG: list })).toBe("https://second:6443");
    expect(() => server({ KUBECONFIG: path.join(dir, "absent") })).toThrow(
      `none of the files in KUBECONFIG exists: ${path.join(dir, "absent")}`,
    );
  });

  it("falls back to ~/.kube/config when the service account token is missing, and says why when nothing fits", () => {
    expect(() => server(inCluster)).toThrow(
      /no API server configured: no --kubeconfig, no KUBECONFIG, not in a cluster \(ENOENT.*serviceaccount\/token.*\), no .*\.kube\/config/,
    );
    expect(() => server({})).toThrow("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
    kubeconfigAt(path.join(home, ".kube", "config"), "https://home:6443");
    expect(server(inCluster)).toBe("https://home:6443");
  });

  it("in a cluster, sends the mounted token and trusts the mounted CA; an IPv6 host goes in brackets", async () => {
    serviceAccount("sa-token\n");
    const access = loadClusterAccess({
      env: { KUBERNETES_SERVICE_HOST: "fd00:10:96::1", KUBERNETES_SERVICE_PORT: "6443" },
      homeDir: home,
      serviceAccountDir,
    });
    expect(access.getCurrentCluster()).toEqual({ server: "https://[fd00:10:96::1]:6443" });
    const options = await applied(access);
    expect(String(options.ca)).toBe("IN-CLUSTER CA");
    expect(options.headers).toEqual({ authorization: "Bearer sa-token" });
  });

  it("in a cluster, picks up the rotated token once the re-read period has passed", async () => {
    let now = 5_000_000;
    serviceAccount("first");
    const access = loadClusterAccess({ env: inCluster, homeDir: home, serviceAccountDir, now: () => now });
    expect((await applied(access)).headers).toEqual({ authorization: "Bearer first" });
    writeFileSync(path.join(serviceAccountDir, "token"), "rotated");
    now += TOKEN_FILE_REREAD_MS;
    expect((await applied(access)).headers).toEqual({ authorization: "Bearer rotated" });
  });
});
