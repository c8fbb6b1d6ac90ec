/** Helpers for the API integration suites: install the generated CRDs, apply YAML documents, read refusals. */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { KubernetesObject, V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { ResourceType } from "../../../src/apis/resource-types.js";
import * as KINDS from "../../../src/apis/resource-types.js";
import { KubeApiError, type KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { controlPlaneBinaries, REPO_ROOT } from "../control-plane/index.js";
import { loadKubeConfig, testClient } from "./clients.js";
import { CUSTOM_RESOURCE_DEFINITIONS } from "./resource-types.js";

const execFileAsync = promisify(execFile);

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
 * server serves every CRD in it.
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
  const client = testClient(loadKubeConfig(kubeConfigPath));
  const installed: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    const name = readYamlDocuments(file)[0]?.metadata?.name ?? "";
    for (let attempt = 0; ; attempt++) {
      const live = await client.get<V1CustomResourceDefinition>(CUSTOM_RESOURCE_DEFINITIONS, name);
      if (live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) {
        installed.push(live);
        break;
      }
      if (attempt > 100) throw new Error(`CRD ${name} never became Established`);
      await delay(100);
    }
  }
  return installed;
}

/** The controller's kind of an object, by its `kind` (the serving kinds and the core ones the suites write). */
export function resourceTypeOf(object: KubernetesObject): ResourceType {
  const type = Object.values(KINDS).find(
    (candidate): candidate is ResourceType =>
      typeof candidate === "object" && candidate !== null && (candidate as ResourceType).kind === object.kind,
  );
  if (type === undefined) throw new Error(`no resource type for kind ${object.kind}`);
  return type;
}

/** Creates an object, retrying while discovery of a just-established CRD catches up (404). */
export async function createObject<T extends KubernetesObject>(client: KubeClient, object: T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.create(resourceTypeOf(object), object);
    } catch (error) {
      if (!(error instanceof KubeApiError) || error.statusCode !== 404 || attempt > 50) throw error;
      await delay(100);
    }
  }
}

/** The message and status code the API server gave when it refused a request. */
export async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
    return { code: error.statusCode, message: error.message };
  }
  throw new Error("the API server accepted the request");
}

export interface TestCrdOptions {
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  /** The schema of the object (default: anything). */
  readonly schema?: Record<string, unknown>;
  readonly statusSubresource?: boolean;
}

/** A namespaced CRD with one version `v1`, served and stored: a kind of a suite's own. */
export function testCrd(
  options: TestCrdOptions,
): V1CustomResourceDefinition & { metadata: { name: string } } {
  const singular = options.kind.toLowerCase();
  return {
    apiVersion: CUSTOM_RESOURCE_DEFINITIONS.apiVersion,
    kind: CUSTOM_RESOURCE_DEFINITIONS.kind,
    metadata: { name: `${options.plural}.${options.group}` },
    spec: {
      group: options.group,
      scope: "Namespaced",
      names: { plural: options.plural, singular, kind: options.kind, listKind: `${options.kind}List` },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          ...(options.statusSubresource === true && { subresources: { status: {} } }),
          schema: {
            openAPIV3Schema: options.schema ?? {
              type: "object",
              "x-kubernetes-preserve-unknown-fields": true,
            },
          },
        },
      ],
    },
  };
}
