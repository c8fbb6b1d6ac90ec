/** ServingRuntime and ClusterServingRuntime documents from YAML text (multi-document, `List` items expanded). */

import { parseAllDocuments } from "yaml";
import { KIND_CLUSTER_SERVING_RUNTIME, KIND_SERVING_RUNTIME } from "../apis/serving/group.js";
import type { ServingRuntime } from "../apis/serving/v1alpha1/serving-runtime.js";
import type { RuntimeKind } from "../builders/deployment.js";
import { isRecord } from "../lib/is-record.js";

export interface RuntimeDocument {
  kind: RuntimeKind;
  runtime: ServingRuntime;
  /** Where it came from, for messages: `<file>` or `<file>#<document index>`. */
  source: string;
}

export interface ReadResult {
  runtimes: RuntimeDocument[];
  /** Documents of other kinds, left out (for a note on stderr). */
  skipped: string[];
  errors: string[];
}

function collect(document: unknown, source: string, result: ReadResult): void {
  if (document === null || document === undefined) return;
  if (!isRecord(document) || typeof document.kind !== "string") {
    result.errors.push(`${source}: not a Kubernetes object (no kind)`);
    return;
  }
  if (document.kind === "List" && Array.isArray(document.items)) {
    document.items.forEach((item, index) => {
      collect(item, `${source} item ${index}`, result);
    });
    return;
  }
  const kind = document.kind;
  // A kustomization beside the runtimes (as in config/runtimes) describes them; it is not an object to skip.
  if (kind === "Kustomization") return;
  if (kind !== KIND_SERVING_RUNTIME && kind !== KIND_CLUSTER_SERVING_RUNTIME) {
    const name = isRecord(document.metadata) ? String(document.metadata.name ?? "") : "";
    result.skipped.push(`${source}: ${kind} ${name}`.trimEnd());
    return;
  }
  if (
    !isRecord(document.metadata) ||
    typeof document.metadata.name !== "string" ||
    document.metadata.name === ""
  ) {
    result.errors.push(`${source}: ${kind} without metadata.name`);
    return;
  }
  if (!isRecord(document.spec)) {
    result.errors.push(`${source}: ${kind} ${document.metadata.name} has no spec`);
    return;
  }
  result.runtimes.push({ kind, runtime: document as unknown as ServingRuntime, source });
}

export function readRuntimeDocuments(text: string, fileName: string, result: ReadResult): void {
  const documents = parseAllDocuments(text, { merge: true });
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((document, index) => {
    const source = list.length > 1 ? `${fileName}#${index + 1}` : fileName;
    if (document.errors.length > 0) {
      result.errors.push(`${source}: ${document.errors[0]?.message ?? "invalid YAML"}`);
      return;
    }
    collect(document.toJS(), source, result);
  });
}
