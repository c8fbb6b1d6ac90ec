/**
 * Secrets are granted by name (decision 0111): the kustomize install names the defaults; the Helm chart names
 * what the release configures (the etcd Secret value, and the user config's storage, TLS and deprecated etcd
 * Secret names), so a configured name is readable without editing the install.
 */
import type { V1PolicyRule } from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { CHART, helm, helmBinary, kustomize, parseObjects } from "../support/install/install.js";

type Role = { kind: string; metadata: { name: string }; rules: V1PolicyRule[] };

const isControllerRole = (o: { kind: string; metadata: { name: string } }) =>
  (o.kind === "Role" || o.kind === "ClusterRole") && o.metadata.name === "modelmesh-controller-role";

/** resourceNames of the Secret rules, by their verbs (`get,list,watch` or `patch,delete`); `*` when unnamed. */
function secretGrants(role: Role | undefined): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const rule of role?.rules ?? []) {
    if (!rule.resources?.includes("secrets")) continue;
    grants[rule.verbs.join(",")] = rule.resourceNames ?? ["*"];
  }
  return grants;
}

async function helmRole(scope: string, values: Record<string, string> = {}): Promise<Role | undefined> {
  const sets = Object.entries(values).flatMap(([key, value]) => ["--set", `${key}=${value}`]);
  const objects = parseObjects(
    await helm(["template", "mms", CHART, "--namespace", "mms", "--set", `scope=${scope}`, ...sets]),
  );
  return objects.find(isControllerRole) as unknown as Role | undefined;
}

beforeAll(async () => {
  await helmBinary();
}, 20 * 60_000);

describe("Secret grants of the install", () => {
  it("kustomize: read by the default names only; in cluster scope the etcd copies written by name", async () => {
    const cluster = (await kustomize("rbac/cluster-scope")).find(isControllerRole);
    expect(secretGrants(cluster as unknown as Role)).toEqual({
      "get,list,watch": ["model-serving-etcd", "storage-config"],
      "patch,delete": ["model-serving-etcd"],
      // A create names no object in its request, so RBAC cannot limit it by name.
      create: ["*"],
    });
    const namespaced = (await kustomize("rbac/namespace-scope")).find(isControllerRole);
    expect(secretGrants(namespaced as unknown as Role)).toEqual({
      "get,list,watch": ["model-serving-etcd", "storage-config"],
    });
  });

  it("helm: the same by default, and the release's configured names otherwise", async () => {
    expect(secretGrants(await helmRole("cluster"))).toEqual({
      "get,list,watch": ["model-serving-etcd", "storage-config"],
      "patch,delete": ["model-serving-etcd"],
      create: ["*"],
    });
    const configured = {
      etcdSecretName: "team-etcd",
      "userConfig.storageSecretName": "s3-credentials",
      "userConfig.tls.secretName": "mesh-tls",
    };
    expect(secretGrants(await helmRole("cluster", configured))).toEqual({
      "get,list,watch": ["team-etcd", "s3-credentials", "mesh-tls"],
      "patch,delete": ["team-etcd"],
      create: ["*"],
    });
    expect(secretGrants(await helmRole("namespace", configured))).toEqual({
      "get,list,watch": ["team-etcd", "s3-credentials", "mesh-tls"],
    });
    // The deprecated user config key names the etcd Secret only while the value keeps its default.
    expect(secretGrants(await helmRole("namespace", { "userConfig.etcdSecretName": "legacy-etcd" }))).toEqual(
      { "get,list,watch": ["legacy-etcd", "storage-config"] },
    );
  });
});
