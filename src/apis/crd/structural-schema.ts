/** A zod schema as a CRD's structural OpenAPI schema, in controller-gen's shape. */
import { z } from "zod";
import { isRecord } from "../../lib/is-record.js";
import { KUBERNETES_DEFINITION_KEY, OBJECT_METADATA_KEY } from "../kubernetes.js";
import {
  embedKubernetesDefinition,
  type JsonSchema,
  type KubernetesOpenApi,
} from "./kubernetes-definitions.js";

/** Keywords zod emits that a CRD schema either cannot hold or must not hold. */
const DROPPED_KEYWORDS = new Set(["$schema", "const", "propertyNames", "id"]);

function isSchema(value: unknown): value is JsonSchema {
  return isRecord(value);
}

function sortedKeys(object: JsonSchema): JsonSchema {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Turns one node of zod's JSON Schema into a node of a structural schema (keys sorted, like controller-gen).
 */
function toStructural(node: JsonSchema, openapi: KubernetesOpenApi): JsonSchema {
  const definition = node[KUBERNETES_DEFINITION_KEY];
  if (typeof definition === "string") {
    const embedded = embedKubernetesDefinition(openapi, definition);
    return sortedDeep(
      typeof node.description === "string" ? { ...embedded, description: node.description } : embedded,
    );
  }
  if (node[OBJECT_METADATA_KEY] === true) return { type: "object" };

  const result: JsonSchema = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (DROPPED_KEYWORDS.has(keyword)) continue;
    if (keyword === "properties" && isSchema(value)) {
      result.properties = sortedKeys(
        Object.fromEntries(
          Object.entries(value).map(([name, child]) => [name, toStructural(child as JsonSchema, openapi)]),
        ),
      );
    } else if (keyword === "items" && isSchema(value)) {
      result.items = toStructural(value, openapi);
    } else if (keyword === "additionalProperties") {
      // `false` is zod's closed object (the API server prunes unknown fields anyway); `{}` is a loose object.
      if (isSchema(value) && Object.keys(value).length === 0)
        result["x-kubernetes-preserve-unknown-fields"] = true;
      else if (isSchema(value)) result.additionalProperties = toStructural(value, openapi);
    } else if (keyword === "required" && Array.isArray(value)) {
      result.required = [...value].sort();
    } else if (keyword === "minimum" && value === Number.MIN_SAFE_INTEGER) {
      // zod's bound for any safe integer says nothing a CRD needs.
    } else if (keyword === "maximum" && value === Number.MAX_SAFE_INTEGER) {
      // likewise
    } else {
      result[keyword] = value;
    }
  }
  return sortedKeys(result);
}

function sortedDeep(node: JsonSchema): JsonSchema {
  const result: JsonSchema = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (keyword === "properties" && isSchema(value)) {
      result.properties = sortedKeys(
        Object.fromEntries(
          Object.entries(value).map(([name, child]) => [name, sortedDeep(child as JsonSchema)]),
        ),
      );
    } else if ((keyword === "items" || keyword === "additionalProperties") && isSchema(value)) {
      result[keyword] = sortedDeep(value);
    } else {
      result[keyword] = value;
    }
  }
  return sortedKeys(result);
}

/**
 * The `openAPIV3Schema` of a CRD version, derived from the zod schema of the whole object: Kubernetes-defined
 * parts are inlined from Kubernetes' own OpenAPI, loose objects keep unknown fields, and the root requires
 * nothing (as with controller-gen, an object without `spec` is stored and reported by the controller).
 */
export function crdSchemaFromZod(schema: z.ZodType, openapi: KubernetesOpenApi): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io: "output",
    unrepresentable: "any",
    reused: "inline",
    cycles: "throw",
  });
  const { required: _rootRequired, ...root } = toStructural(json as JsonSchema, openapi);
  return root;
}
