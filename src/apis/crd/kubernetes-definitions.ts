/** Kubernetes' own OpenAPI definitions, inlined into the CRD schemas where a zod schema names one. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isRecord } from "../../lib/is-record.js";

/** Where scripts/fetch-k8s-openapi.ts stores the Kubernetes definitions (relative to the repository root). */
export const KUBERNETES_OPENAPI_PATH = "src/apis/kubernetes-openapi.json";

export type JsonSchema = Record<string, unknown>;

export interface KubernetesOpenApi {
  kubernetesVersion: string;
  definitions: Record<string, JsonSchema>;
}

const REF_PREFIX = "#/components/schemas/";

const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** The textual quantity grammar of Kubernetes (also what controller-gen writes for resource.Quantity). */
const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

const INT_OR_STRING_SCHEMA: JsonSchema = {
  anyOf: [{ type: "integer" }, { type: "string" }],
  "x-kubernetes-int-or-string": true,
};

/** Types whose OpenAPI form is not structural; CRDs describe them the way controller-gen does. */
const STRUCTURAL_REPLACEMENTS: Record<string, JsonSchema> = {
  [QUANTITY]: { ...INT_OR_STRING_SCHEMA, pattern: QUANTITY_PATTERN },
  [INT_OR_STRING]: INT_OR_STRING_SCHEMA,
  [OBJECT_META]: { type: "object" },
};

/**
 * Kept from Kubernetes' OpenAPI: types, formats, required fields, nested properties and the list/map
 * semantics. Dropped: descriptions (size), enums (the Pod API accepts values such as an empty taint effect that
 * the published enums leave out), defaults (a CRD default would be written into every stored object) except
 * those of list-map keys (required by the API server), and patch hints that CRD schemas cannot carry.
 */
const KEPT_KEYWORDS = new Set([
  "type",
  "format",
  "required",
  "properties",
  "items",
  "additionalProperties",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
]);

/**
 * The only lists that keep Kubernetes' list-map keys: the ones upstream's CRDs (controller-gen over the
 * Kubernetes types of their day) keyed. Every other keyed list or set is made atomic, as it was upstream, so that
 * an object upstream stored (an env var set twice, two mounts at one path) is stored here too (decision 0185).
 */
const UPSTREAM_KEYED_LISTS: ReadonlySet<string> = new Set([
  "io.k8s.api.core.v1.Container.ports",
  "io.k8s.api.core.v1.ResourceRequirements.claims",
]);

/** A list property with its `x-kubernetes-list-type` made atomic unless upstream keyed it. */
function withUpstreamListType(owner: string | undefined, name: string, property: JsonSchema): JsonSchema {
  const listType = property["x-kubernetes-list-type"];
  if ((listType !== "map" && listType !== "set") || UPSTREAM_KEYED_LISTS.has(`${owner}.${name}`))
    return property;
  const { "x-kubernetes-list-map-keys": _keys, ...rest } = property;
  return { ...rest, "x-kubernetes-list-type": "atomic" };
}

export function loadKubernetesOpenApi(repoRoot: string): KubernetesOpenApi {
  const text = readFileSync(path.join(repoRoot, KUBERNETES_OPENAPI_PATH), "utf8");
  return JSON.parse(text) as KubernetesOpenApi;
}

function isSchema(value: unknown): value is JsonSchema {
  return isRecord(value);
}

/** The single `$ref` of a node (`$ref` directly, or the `allOf: [{$ref}]` wrapping of OpenAPI v3). */
function referencedName(node: JsonSchema): string | undefined {
  const direct = node.$ref;
  if (typeof direct === "string") return direct.replace(REF_PREFIX, "");
  const allOf = node.allOf;
  if (Array.isArray(allOf) && allOf.length === 1 && isSchema(allOf[0]) && typeof allOf[0].$ref === "string") {
    return allOf[0].$ref.replace(REF_PREFIX, "");
  }
  return undefined;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * Converts one OpenAPI node into a structural CRD schema node, inlining every reference. `listMapKeys` names the
 * properties that key the list this node is an item of; their defaults are kept.
 */
function structural(
  openapi: KubernetesOpenApi,
  node: JsonSchema,
  listMapKeys: ReadonlySet<string>,
  trail: readonly string[],
): JsonSchema {
  const reference = referencedName(node);
  if (reference !== undefined) {
    return STRUCTURAL_REPLACEMENTS[reference] ?? inlineDefinition(openapi, reference, listMapKeys, trail);
  }
  const result: JsonSchema = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (!KEPT_KEYWORDS.has(keyword)) continue;
    if (keyword === "properties" && isSchema(value)) {
      const required = new Set(Array.isArray(node.required) ? node.required : []);
      result.properties = Object.fromEntries(
        Object.entries(value).map(([name, original]) => {
          const property = withUpstreamListType(trail.at(-1), name, original as JsonSchema);
          const converted = structural(openapi, property, NO_KEYS, trail);
          const keyDefault = property.default;
          if (listMapKeys.has(name) && !required.has(name) && keyDefault !== undefined)
            converted.default = keyDefault;
          return [name, converted];
        }),
      );
    } else if (keyword === "items" && isSchema(value)) {
      const keys = node["x-kubernetes-list-map-keys"];
      result.items = structural(
        openapi,
        value,
        new Set(Array.isArray(keys) ? (keys as string[]) : []),
        trail,
      );
    } else if (keyword === "additionalProperties" && isSchema(value)) {
      result.additionalProperties = structural(openapi, value, NO_KEYS, trail);
    } else {
      result[keyword] = value;
    }
  }
  return result;
}

function inlineDefinition(
  openapi: KubernetesOpenApi,
  name: string,
  listMapKeys: ReadonlySet<string>,
  trail: readonly string[],
): JsonSchema {
  const definition = openapi.definitions[name];
  if (definition === undefined) {
    throw new Error(`${KUBERNETES_OPENAPI_PATH} lacks ${name}; run scripts/fetch-k8s-openapi.ts`);
  }
  if (trail.includes(name)) throw new Error(`recursive Kubernetes definition ${name} cannot be inlined`);
  return structural(openapi, definition, listMapKeys, [...trail, name]);
}

/**
 * The structural schema of a Kubernetes definition (for example `io.k8s.api.core.v1.Container`), fully
 * inlined.
 */
export function embedKubernetesDefinition(openapi: KubernetesOpenApi, name: string): JsonSchema {
  return inlineDefinition(openapi, name, NO_KEYS, []);
}
