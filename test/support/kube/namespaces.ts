import { randomBytes } from "node:crypto";
import { NAMESPACES } from "../../../src/apis/resource-types.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";

/** `<prefix>-<6 random hex digits>`: unique enough for the objects of one test run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** Creates a Namespace named after `prefix` and returns its name. */
export async function createNamespace(
  client: KubeClient,
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = uniqueName(prefix);
  await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  return name;
}
