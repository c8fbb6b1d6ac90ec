/**
 * The user ConfigMap `model-serving-config` → the effective configuration, layered over the built-in defaults.
 * Pure and total: every input yields either a config or an error message a person can act on.
 */

import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { isRecord } from "../lib/is-record.js";
import { fail, ok, type Result } from "../lib/result.js";
import { parseQuantity } from "./quantity.js";
import { type ResourceConfig, type ServingConfig, servingConfigSchema } from "./serving-config.js";

export const USER_CONFIG_KEY = "config.yaml";

export interface UserConfig {
  config: ServingConfig;
  /** Keys that mean nothing to the controller (ignored, as upstream did); worth a log line. */
  unknownKeys: string[];
}

/** Parses the `data` of the user ConfigMap. */
export function parseUserConfig(
  configMapData: Readonly<Record<string, string>> | undefined | null,
): Result<UserConfig> {
  const yamlText = configMapData?.[USER_CONFIG_KEY];
  if (yamlText === undefined) return fail(`User ConfigMap must contain a key named ${USER_CONFIG_KEY}`);
  return parseUserConfigYaml(yamlText);
}

/** Parses the text of `config.yaml` itself. */
export function parseUserConfigYaml(yamlText: string): Result<UserConfig> {
  let document: unknown;
  try {
    document = parseYaml(yamlText, { merge: true });
  } catch (error) {
    return fail(`Error parsing ${USER_CONFIG_KEY}: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) document = {};
  if (!isRecord(document)) {
    return fail(`${USER_CONFIG_KEY} must be a YAML mapping of configuration keys`);
  }
  const unknownKeys: string[] = [];
  const canonical = canonicalizeKeys(withoutNulls(document), servingConfigSchema, "", unknownKeys);
  const parsed = servingConfigSchema.safeParse(canonical);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join(".") ?? "";
    return fail(`Invalid config for '${path}': ${issue?.message ?? "invalid value"}`);
  }
  const semanticError = validateServingConfig(parsed.data);
  if (semanticError !== undefined) return fail(semanticError);
  return ok({ config: parsed.data, unknownKeys });
}

/** Checks the schema cannot express, with upstream's messages. */
function validateServingConfig(config: ServingConfig): string | undefined {
  const resourceSets: [string, ResourceConfig][] = [
    ["ModelMeshResources", config.modelMeshResources],
    ["RESTProxy.Resources", config.restProxy.resources],
    ["StorageHelperResources", config.storageHelperResources],
  ];
  for (const [name, resources] of resourceSets) {
    const error = validateResources(resources);
    if (error !== undefined) return `Invalid config for '${name}': ${error}`;
  }
  for (const processor of config.payloadProcessors) {
    if (processor.includes(" ")) {
      return `Error parsing payload processor '${processor}': endpoint must not contain spaces.`;
    }
  }
  return undefined;
}

function validateResources(resources: ResourceConfig): string | undefined {
  const quantities: [string, string][] = [
    ["Limits.CPU", resources.limits.cpu],
    ["Limits.Memory", resources.limits.memory],
    ["Requests.CPU", resources.requests.cpu],
    ["Requests.Memory", resources.requests.memory],
  ];
  for (const [field, value] of quantities) {
    const parsed = parseQuantity(value);
    if (!parsed.ok) return `Cannot parse '${field}' as a quantity: ${parsed.error}`;
  }
  return undefined;
}

/** An empty YAML value (`key:`) means "not set": the default applies. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null).map(withoutNulls);
  if (!isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null) result[key] = withoutNulls(item);
  }
  return result;
}

/**
 * Renames keys to the schema's spelling, ignoring case like upstream's viper. Only keys of configuration
 * objects are touched: the keys of free-form maps (pod labels and annotations, `foo.bar/baz`) keep their
 * exact spelling, since Kubernetes label keys are case-sensitive.
 */
function canonicalizeKeys(value: unknown, schema: z.ZodType, path: string, unknownKeys: string[]): unknown {
  const inner = unwrap(schema);
  const def = inner.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType };
  if (def.type === "object" && def.shape && isRecord(value)) {
    const byLowerCase = new Map(Object.keys(def.shape).map((key) => [key.toLowerCase(), key]));
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const canonicalKey = byLowerCase.get(key.toLowerCase());
      const keyPath = path === "" ? key : `${path}.${key}`;
      const fieldSchema = canonicalKey === undefined ? undefined : def.shape[canonicalKey];
      if (canonicalKey === undefined || fieldSchema === undefined) {
        unknownKeys.push(keyPath);
        continue;
      }
      result[canonicalKey] = canonicalizeKeys(item, fieldSchema, keyPath, unknownKeys);
    }
    return result;
  }
  if (def.type === "array" && def.element && Array.isArray(value)) {
    const element = def.element;
    return value.map((item, index) => canonicalizeKeys(item, element, `${path}[${index}]`, unknownKeys));
  }
  return value;
}

/** Peels defaults and optionals off a schema to reach the shape it describes. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current.def as { type: string; innerType?: z.ZodType; out?: z.ZodType };
    if ((def.type === "default" || def.type === "prefault" || def.type === "optional") && def.innerType) {
      current = def.innerType;
    } else if (def.type === "pipe" && def.out) {
      current = def.out;
    } else {
      return current;
    }
  }
}
