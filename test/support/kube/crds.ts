/** Helpers for the API integration suites: install the generated CRDs, apply YAML documents, read refusals. */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { controlPlaneBinaries } from "../control-plane/index.js";

const execFileAsync = promisify(execFile);

export const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const FIELD_MANAGER = "api-integration-tests";

export function readYamlDocuments(file: string): KubernetesObject[] {
  const text = readFileSync(path.resolve(REPO_ROOT, file), "utf8");
  return parseAllDocuments(text)
    .map((document) => document.toJSON() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => object !== null);
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Applies crds/ with kubectl (server-side, idempotent), the way users install the CRDs, and waits until the API
 * server serves every CRD in it. (The typed client would drop the `x-kubernetes-*` keywords while serialising.)
 */
export async function installCrds(kubeConfigPath: string): Promise<V1CustomResourceDefinition[]> {
  const { kubectl } = await controlPlaneBinaries();
  const directory = path.join(REPO_ROOT, "crds");
  const files = readdirSync(directory).map((name) => path.join(directory, name));
  await execFileAsync(kubectl, [
    "--kubeconfig",
    kubeConfigPath,
    "apply",
    "--server-side",
    "--force-conflicts",
    `--field-manager=${FIELD_MANAGER}`,
    "-f",
    directory,
  ]);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeConfigPath);
  const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const installed: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    const name = readYamlDocuments(file)[0]?.metadata?.name ?? "";
    for (let attempt = 0; ; attempt++) {
      const live = await extensions.readCustomResourceDefinition({ name });
      if (live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) {
        installed.push(live);
        break;
      }
      if (attempt > 100) throw new Error(`CRD ${name} never became Established`);
      await delay(100);
    }
  }
  return installed;
}

export async function createTestNamespace(kubeConfig: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Creates an object, retrying while discovery of a just-established CRD catches up (404). */
export async function createObject<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  object: T,
): Promise<T> {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (let attempt = 0; ; attempt++) {
    try {
      return (await objects.create(object)) as T;
    } catch (error) {
      if (!(error instanceof ApiException) || error.code !== 404 || attempt > 50) throw error;
      await delay(100);
    }
  }
}

/** The message and status code the API server gave when it refused a request. */
export async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body: unknown = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    return { code: error.code, message: typeof message === "string" ? message : String(error.body) };
  }
  throw new Error("the API server accepted the request");
}
