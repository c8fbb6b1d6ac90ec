/**
 * Fetches the Kubernetes OpenAPI definitions that the CRDs embed (Container, Volume, Affinity, ... and everything
 * they reference) from a real kube-apiserver and writes them to src/apis/kubernetes-openapi.json.
 *
 *   npx tsx scripts/fetch-k8s-openapi.ts                 starts the local control plane for the duration
 *   KUBECONFIG=/path npx tsx scripts/fetch-k8s-openapi.ts  uses the cluster of that kubeconfig
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { KUBERNETES_OPENAPI_PATH } from "../src/apis/crd/kubernetes-definitions.js";
import { EMBEDDED_KUBERNETES_DEFINITIONS } from "../src/apis/kubernetes.js";
import { REPO_ROOT, startControlPlane } from "../test/support/control-plane/index.js";

const OPENAPI_PATH = "/openapi/v3/api/v1";
const REF_PREFIX = "#/components/schemas/";

async function getJson(kubeConfig: KubeConfig, urlPath: string): Promise<unknown> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined) throw new Error("the kubeconfig names no current cluster");
  const options: https.RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    https
      .get(new URL(urlPath, server), options, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode !== 200)
            reject(new Error(`GET ${urlPath}: HTTP ${response.statusCode}: ${body}`));
          else resolve(JSON.parse(body));
        });
      })
      .on("error", reject);
  });
}

/** The named definitions and, transitively, every definition they reference, sorted by name. */
function collectDefinitions(
  schemas: Record<string, unknown>,
  roots: readonly string[],
): Record<string, unknown> {
  const collected: Record<string, unknown> = {};
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (name in collected) continue;
    const definition = schemas[name];
    if (definition === undefined) throw new Error(`the API server's OpenAPI has no definition ${name}`);
    collected[name] = definition;
    for (const match of JSON.stringify(definition).matchAll(/"\$ref":"([^"]+)"/g)) {
      pending.push((match[1] ?? "").replace(REF_PREFIX, ""));
    }
  }
  return Object.fromEntries(Object.entries(collected).sort(([a], [b]) => a.localeCompare(b)));
}

async function fetchFrom(kubeConfig: KubeConfig): Promise<void> {
  const version = (await getJson(kubeConfig, "/version")) as { gitVersion: string };
  const openapi = (await getJson(kubeConfig, OPENAPI_PATH)) as {
    components: { schemas: Record<string, unknown> };
  };
  const definitions = collectDefinitions(openapi.components.schemas, EMBEDDED_KUBERNETES_DEFINITIONS);
  const document = { kubernetesVersion: version.gitVersion, source: OPENAPI_PATH, definitions };
  const target = path.join(REPO_ROOT, KUBERNETES_OPENAPI_PATH);
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  // Written in the repository's JSON style so that the lint step accepts it unchanged.
  execFileSync(path.join(REPO_ROOT, "node_modules/.bin/biome"), ["format", "--write", target], {
    stdio: "inherit",
  });
  console.log(
    `wrote ${Object.keys(definitions).length} definitions of Kubernetes ${version.gitVersion} to ${target}`,
  );
}

async function main(): Promise<void> {
  if (process.env.KUBECONFIG) {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
    await fetchFrom(kubeConfig);
    return;
  }
  const plane = await startControlPlane();
  try {
    await fetchFrom(plane.kubeConfig);
  } finally {
    await plane.stop();
  }
}

await main();
