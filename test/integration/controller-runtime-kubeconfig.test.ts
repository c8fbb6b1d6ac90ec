/**
 * The controller's REST client on our own kubeconfig loader against the real API server: client certificates,
 * tokens (inline, file, exec plugin) and the in-cluster service account, each proven by a SelfSubjectReview.
 */

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import { CONFIG_MAPS, NAMESPACES } from "../../src/apis/resource-types.js";
import type { ClusterAccess } from "../../src/controller-runtime/cluster-access.js";
import { KubeApiError, KubeClient } from "../../src/controller-runtime/kube-client.js";
import { loadClusterAccess } from "../../src/controller-runtime/kubeconfig/load.js";
import { createMetricsRegistry } from "../../src/controller-runtime/metrics.js";
import { kubeconfigForUser } from "../support/control-plane/index.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { createNamespace } from "../support/kube/namespaces.js";
import { SERVICE_ACCOUNTS } from "../support/kube/resource-types.js";

const adminKubeconfig = inject("kubeconfigPath");
const admin = testClient(loadKubeConfig(adminKubeconfig));
const server = loadKubeConfig(adminKubeconfig).getCurrentCluster()?.server ?? "";
const caPem = readFileSync(path.join(path.dirname(adminKubeconfig), "pki", "ca.crt"), "utf8");

let dir: string;
let namespace: string;
let token: string;

function clientOf(access: ClusterAccess): KubeClient {
  return new KubeClient(access, createMetricsRegistry().metrics);
}

async function whoAmI(client: KubeClient): Promise<string | undefined> {
  const review = await client.request<{ status?: { userInfo?: { username?: string } } }>({
    method: "POST",
    path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
  });
  return review.status?.userInfo?.username;
}

/** A kubeconfig trusting the control plane's CA (from a file beside it, by relative path) for `user`. */
function writeKubeconfig(name: string, user: Record<string, unknown>): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    stringify({
      clusters: [{ name: "local", cluster: { server, "certificate-authority": "ca.crt" } }],
      users: [{ name: "u", user }],
      contexts: [{ name: "local", context: { cluster: "local", user: "u" } }],
      "current-context": "local",
    }),
  );
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "mms-kube-config-it-"));
  writeFileSync(path.join(dir, "ca.crt"), caPem);
  namespace = await createNamespace(admin, "kube-config");
  await admin.create(SERVICE_ACCOUNTS, {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "reader", namespace },
  });
  const request = await admin.request<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/reader/token`,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
  });
  token = request.status.token;
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await admin.delete(NAMESPACES, namespace);
});

describe("KubeClient on our kubeconfig loader", () => {
  it("authenticates with the client certificate of a kubeconfig and writes as that user", async () => {
    const file = await kubeconfigForUser(adminKubeconfig, "kube-config-cert-user", ["system:masters"]);
    const client = clientOf(loadClusterAccess({ kubeconfig: file }));
    expect(await whoAmI(client)).toBe("kube-config-cert-user");
    await client.create(CONFIG_MAPS, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "written", namespace },
    });
    const list = await client.list(CONFIG_MAPS, { namespace });
    expect(list.items.map((item) => item.metadata?.name)).toEqual(["written"]);
  });

  it("authenticates with a token, a tokenFile and an exec plugin's token", async () => {
    const serviceAccount = `system:serviceaccount:${namespace}:reader`;
    const inline = writeKubeconfig("inline", { token });
    expect(await whoAmI(clientOf(loadClusterAccess({ kubeconfig: inline })))).toBe(serviceAccount);

    writeFileSync(path.join(dir, "token"), token);
    const fromFile = writeKubeconfig("file", { tokenFile: "token" });
    expect(await whoAmI(clientOf(loadClusterAccess({ kubeconfig: fromFile })))).toBe(serviceAccount);

    const plugin = path.join(dir, "plugin.sh");
    const credential = {
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { token },
    };
    writeFileSync(plugin, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(credential)}\nEOF\n`);
    chmodSync(plugin, 0o755);
    const exec = writeKubeconfig("exec", {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: "./plugin.sh",
        interactiveMode: "Never",
      },
    });
    // Through $KUBECONFIG this time.
    expect(
      await whoAmI(clientOf(loadClusterAccess({ env: { KUBECONFIG: exec, PATH: process.env.PATH } }))),
    ).toBe(serviceAccount);
  });

  it("switches to the client certificate an exec plugin hands out once the previous one expires", async () => {
    const certificateOf = async (user: string) => {
      const config = parse(readFileSync(await kubeconfigForUser(adminKubeconfig, user), "utf8"));
      const data = config.users[0].user as Record<string, string>;
      return {
        clientCertificateData: Buffer.from(data["client-certificate-data"] ?? "", "base64").toString(),
        clientKeyData: Buffer.from(data["client-key-data"] ?? "", "base64").toString(),
      };
    };
    const answer = path.join(dir, "certificate.json");
    const credential = async (user: string, expirationTimestamp: string) =>
      writeFileSync(
        answer,
        JSON.stringify({
          apiVersion: "client.authentication.k8s.io/v1beta1",
          kind: "ExecCredential",
          status: { ...(await certificateOf(user)), expirationTimestamp },
        }),
      );
    const plugin = path.join(dir, "certificate-plugin.sh");
    writeFileSync(plugin, `#!/bin/sh\ncat ${JSON.stringify(answer)}\n`);
    chmodSync(plugin, 0o755);
    const file = writeKubeconfig("exec-certificate", {
      exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: plugin },
    });
    let now = Date.parse("2026-01-01T00:00:00Z");
    const client = clientOf(loadClusterAccess({ kubeconfig: file, now: () => now }));

    await credential("plugin-user-one", "2026-01-01T01:00:00Z");
    expect(await whoAmI(client)).toBe("plugin-user-one");
    await credential("plugin-user-two", "2026-01-01T02:00:00Z");
    expect(await whoAmI(client)).toBe("plugin-user-one");
    now = Date.parse("2026-01-01T01:00:00Z");
    expect(await whoAmI(client)).toBe("plugin-user-two");
  });

  it("authenticates in a cluster with the mounted service account token and CA", async () => {
    const serviceAccountDir = path.join(dir, "serviceaccount");
    mkdirSync(serviceAccountDir);
    writeFileSync(path.join(serviceAccountDir, "token"), token);
    writeFileSync(path.join(serviceAccountDir, "ca.crt"), caPem);
    const url = new URL(server);
    const access = loadClusterAccess({
      env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
      serviceAccountDir,
      homeDir: dir,
    });
    expect(await whoAmI(clientOf(access))).toBe(`system:serviceaccount:${namespace}:reader`);
  });

  it("gets 401 for a token the API server does not know", async () => {
    const client = clientOf(
      loadClusterAccess({ kubeconfig: writeKubeconfig("bad", { token: "not-a-token" }) }),
    );
    const error = await whoAmI(client).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).statusCode).toBe(401);
  });
});
