/**
 * Installs modelmesh-serving on a local control plane the way a user does: `kubectl apply --server-side -k` of a
 * kustomize overlay, or `helm template | kubectl apply --server-side -f -`, CRDs first. The controller's own
 * Deployment cannot run without a kubelet, so the whole install is also checked with a server-side dry run.
 * The install suites and the end-to-end fixtures share it, with the kubectl and helm they run.
 */

import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { KubernetesObject, V1CustomResourceDefinition, V1PolicyRule } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { type ControlPlane, controlPlaneBinaries, REPO_ROOT } from "../control-plane/index.js";
import { testClient } from "../kube/clients.js";
import { CUSTOM_RESOURCE_DEFINITIONS } from "../kube/resource-types.js";

const execFileAsync = promisify(execFile);

export const CHART = path.join(REPO_ROOT, "config/helm/modelmesh-serving");

export type Scope = "cluster" | "namespace";
export type InstallMethod = "kustomize" | "helm";

export interface InstalledObject extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * kubectl as the user of `cluster`'s kubeconfig. kubectl caches API discovery per server, and a cache from
 * before the CRDs existed reports their kinds as unknown: each call gets a fresh cache.
 */
export async function kubectl(
  cluster: { readonly kubeconfigPath: string },
  args: string[],
  input = "",
): Promise<string> {
  const { kubectl: binary } = await controlPlaneBinaries();
  const cacheDir = await mkdtemp(path.join(tmpdir(), "kubectl-cache-"));
  try {
    return await new Promise((resolve, reject) => {
      const child = execFile(
        binary,
        ["--kubeconfig", cluster.kubeconfigPath, "--cache-dir", cacheDir, ...args],
        { maxBuffer: 64 << 20 },
        (error, stdout, stderr) =>
          error
            ? reject(new Error(`kubectl ${args.join(" ")} failed:\n${stderr.trim() || String(error)}`))
            : resolve(stdout),
      );
      child.stdin?.end(input);
    });
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

export function parseObjects(yamlStream: string): InstalledObject[] {
  return parseAllDocuments(yamlStream)
    .map((doc) => doc.toJSON() as InstalledObject | null)
    .filter((o): o is InstalledObject => o !== null);
}

export const asYamlStream = (objects: readonly unknown[]) => objects.map((o) => JSON.stringify(o)).join("\n");

/** `kubectl kustomize config/<dir>`. */
export async function kustomize(dir: string): Promise<InstalledObject[]> {
  const { kubectl: binary } = await controlPlaneBinaries();
  const { stdout } = await execFileAsync(binary, ["kustomize", path.join(REPO_ROOT, "config", dir)], {
    maxBuffer: 64 << 20,
  });
  return parseObjects(stdout);
}

/** The project's pinned helm (built once per machine by scripts/install-helm.sh: up to 20 minutes cold). */
let helmPath: Promise<string> | undefined;
export function helmBinary(): Promise<string> {
  helmPath ??= execFileAsync("bash", [path.join(REPO_ROOT, "scripts/install-helm.sh")], {
    timeout: 20 * 60_000,
  }).then(({ stdout }) => stdout.trim().split("\n").pop() ?? "");
  return helmPath;
}

/** Runs the pinned helm; a failure carries helm's own output. */
export async function helm(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(await helmBinary(), args, { maxBuffer: 64 << 20 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`helm ${args.join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }
}

/** Stand-ins for the CRDs of cert-manager and the Prometheus Operator, which are not installed here. */
export const THIRD_PARTY_CRDS = [
  ["cert-manager.io", "Issuer", "issuers"],
  ["cert-manager.io", "Certificate", "certificates"],
  ["monitoring.coreos.com", "ServiceMonitor", "servicemonitors"],
].map(([group, kind, plural]) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: "Namespaced",
    names: { kind, plural, singular: kind?.toLowerCase(), listKind: `${kind}List` },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
}));

/** The wildcards (`*`) among RBAC rules' groups, resources and verbs: an install grants none. */
export function wildcards(rules: readonly V1PolicyRule[]): string[] {
  return rules.flatMap((rule) =>
    [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.verbs ?? [])].filter((v) =>
      v.includes("*"),
    ),
  );
}

/** Waits until every CRD serves its API (a just-created CRD has no conditions yet, which `kubectl wait` rejects). */
export async function crdsEstablished(plane: ControlPlane): Promise<void> {
  const client = testClient(plane.kubeConfig);
  for (let attempt = 0; attempt < 300; attempt++) {
    const { items } = await client.list<V1CustomResourceDefinition>(CUSTOM_RESOURCE_DEFINITIONS);
    const established = (crd: (typeof items)[number]) =>
      crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
    if (items.every(established)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("CRDs were not established within 30 s");
}

export interface Install {
  readonly method: InstallMethod;
  readonly scope: Scope;
  /** The controller's namespace. */
  readonly namespace: string;
  /** Every object the install rendered (CRDs included). */
  readonly objects: InstalledObject[];
  /** kubectl's answer to the server-side dry run of the whole install. */
  readonly dryRun: string;
}

/**
 * Runs once the CRDs are served and before the rest of the install is applied: the last moment to apply what
 * the install's webhook would reject while no webhook server runs.
 */
export type AfterCrds = () => Promise<void>;

/** CRDs (and the Namespace) first, then the whole install: dry run, then for real. */
async function applyInOrder(
  plane: ControlPlane,
  objects: InstalledObject[],
  apply: string[],
  input?: string,
  afterCrds?: AfterCrds,
): Promise<string> {
  const first = objects.filter((o) => o.kind === "CustomResourceDefinition" || o.kind === "Namespace");
  await kubectl(plane, ["apply", "--server-side", "-f", "-"], asYamlStream([...THIRD_PARTY_CRDS, ...first]));
  await crdsEstablished(plane);
  await afterCrds?.();
  const dryRun = await kubectl(plane, ["apply", "--server-side", "--dry-run=server", ...apply], input);
  await kubectl(plane, ["apply", "--server-side", ...apply], input);
  return dryRun;
}

/** `kubectl apply --server-side -k config/default` (cluster) or `config/overlays/namespace-scope`. */
export async function installWithKustomize(
  plane: ControlPlane,
  scope: Scope,
  afterCrds?: AfterCrds,
): Promise<Install> {
  const overlay = scope === "cluster" ? "default" : "overlays/namespace-scope";
  const objects = await kustomize(overlay);
  const dryRun = await applyInOrder(
    plane,
    objects,
    ["-k", path.join(REPO_ROOT, "config", overlay)],
    undefined,
    afterCrds,
  );
  return { method: "kustomize", scope, namespace: "modelmesh-serving", objects, dryRun };
}

/**
 * `helm template ... --include-crds | kubectl apply --server-side -f -` into `namespace` (created first, as
 * `helm install --create-namespace` does). The webhook certificate is the user's own (`mode: secret`): nothing
 * here can serve a certificate for the in-cluster Service name, so the tests issue one for loopback.
 */
export async function installWithHelm(
  plane: ControlPlane,
  scope: Scope,
  namespace: string,
  webhookCaPem: string,
): Promise<Install> {
  const stdout = await helm([
    "template",
    "modelmesh-serving",
    CHART,
    "--namespace",
    namespace,
    "--include-crds",
    "--set",
    `scope=${scope}`,
    "--set",
    "webhook.certificates.mode=secret",
    "--set",
    `webhook.certificates.caBundle=${Buffer.from(webhookCaPem).toString("base64")}`,
  ]);
  const objects = parseObjects(stdout);
  await kubectl(plane, ["create", "namespace", namespace]);
  const dryRun = await applyInOrder(plane, objects, ["-f", "-"], stdout);
  return { method: "helm", scope, namespace, objects, dryRun };
}
