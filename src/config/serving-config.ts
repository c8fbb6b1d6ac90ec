/**
 * The controller's configuration: every key of the user ConfigMap `model-serving-config` (key `config.yaml`)
 * with its effective default. Parsing `{}` yields the built-in defaults; a partial user object is layered over
 * them key by key (nested objects merge, lists and scalars replace), as upstream's viper merge did.
 *
 * Scalars are weakly typed like upstream's mapstructure decoding: `"3"` is accepted for a number, `"true"` for a
 * boolean, a number for a string, and a comma-separated string for a list of strings.
 */
import { z } from "zod";

const INTEGER_TEXT = /^[+-]?\d+$/;
const BOOLEAN_TEXT: Record<string, boolean> = {
  "1": true,
  t: true,
  T: true,
  true: true,
  TRUE: true,
  True: true,
  "0": false,
  f: false,
  F: false,
  false: false,
  FALSE: false,
  False: false,
};

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return "a mapping";
  return JSON.stringify(value);
}

function toWeakString(value: unknown): unknown {
  return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
}

function toWeakInteger(value: unknown): unknown {
  if (typeof value === "string" && INTEGER_TEXT.test(value)) return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

function toWeakBoolean(value: unknown): unknown {
  if (typeof value === "string" && value in BOOLEAN_TEXT) return BOOLEAN_TEXT[value];
  if (typeof value === "number") return value !== 0;
  return value;
}

function toWeakStringList(value: unknown): unknown {
  if (typeof value === "string") return value === "" ? [] : value.split(",");
  return value;
}

const text = z.preprocess(
  toWeakString,
  z.string({ error: (issue) => `expected a string, got ${describe(issue.input)}` }),
);

function integer(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  const error = (issue: { input: unknown }) => `expected ${range}, got ${describe(issue.input)}`;
  return z.preprocess(
    toWeakInteger,
    z.number({ error }).int({ error }).min(min, { error }).max(max, { error }),
  );
}

const boolean = z.preprocess(
  toWeakBoolean,
  z.boolean({ error: (issue) => `expected true or false, got ${describe(issue.input)}` }),
);

const stringList = z.preprocess(
  toWeakStringList,
  z.array(text, { error: (issue) => `expected a list of strings, got ${describe(issue.input)}` }),
);

const stringMap = z.record(z.string(), text, {
  error: (issue) => `expected a mapping of strings, got ${describe(issue.input)}`,
});

const port = integer(1, 65535);

/** A nested configuration object: absent, it is built from its fields' defaults. */
function object<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const schema = z.object(shape, { error: (issue) => `expected a mapping, got ${describe(issue.input)}` });
  // Every field of these objects has a default, so `{}` is a valid input; the generic type cannot show it.
  return schema.prefault({} as z.input<typeof schema>);
}

function list<Item extends z.ZodType>(item: Item) {
  return z.array(item, { error: (issue) => `expected a list, got ${describe(issue.input)}` }).default([]);
}

function image(name: string, command: readonly string[] = []) {
  return object({
    name: text.default(name),
    tag: text.default("latest"),
    digest: text.default(""),
    command: stringList.default([...command]),
  });
}

interface ResourceDefaults {
  readonly cpu: string;
  readonly memory: string;
}

function resources(requests: ResourceDefaults, limits: ResourceDefaults) {
  const quantities = (defaults: ResourceDefaults) =>
    object({ cpu: text.default(defaults.cpu), memory: text.default(defaults.memory) });
  return object({ requests: quantities(requests), limits: quantities(limits) });
}

const envVar = z.object(
  {
    name: text,
    value: text.optional(),
    valueFrom: z.record(z.string(), z.unknown()).optional(),
  },
  { error: (issue) => `expected an environment variable {name, value}, got ${describe(issue.input)}` },
);

export const servingConfigSchema = z.object({
  inferenceServiceName: text.default("modelmesh-serving"),
  inferenceServicePort: port.default(8033),
  podsPerRuntime: integer(0).default(2),
  headlessService: boolean.default(true),
  tls: object({ secretName: text.default(""), clientAuth: text.default("") }),
  grpcMaxMessageSizeBytes: integer(Number.MIN_SAFE_INTEGER).default(16777216),
  modelMeshImage: image("kserve/modelmesh"),
  modelMeshResources: resources({ cpu: "300m", memory: "448Mi" }, { cpu: "3", memory: "448Mi" }),
  restProxy: object({
    enabled: boolean.default(true),
    port: port.default(8008),
    skipVerify: boolean.default(false),
    image: image("kserve/rest-proxy"),
    resources: resources({ cpu: "50m", memory: "96Mi" }, { cpu: "1", memory: "512Mi" }),
  }),
  storageHelperImage: image("kserve/modelmesh-runtime-adapter", ["/opt/app/puller"]),
  storageHelperResources: resources({ cpu: "50m", memory: "96Mi" }, { cpu: "2", memory: "512Mi" }),
  storageSecretName: text.default("storage-config"),
  serviceAccountName: text.default(""),
  enableAccessLogging: boolean.default(false),
  builtInServerTypes: stringList.default(["triton", "mlserver", "ovms", "torchserve"]),
  payloadProcessors: stringList.default([]),
  metrics: object({
    enabled: boolean.default(true),
    port: port.default(2112),
    scheme: text.default("https"),
    disablePrometheusOperatorSupport: boolean.default(false),
  }),
  scaleToZero: object({
    enabled: boolean.default(true),
    gracePeriodSeconds: integer(0).default(60),
  }),
  runtimePodLabels: stringMap.default({}),
  runtimePodAnnotations: stringMap.default({}),
  imagePullSecrets: list(
    z.object({ name: text }, { error: (issue) => `expected {name: <secret>}, got ${describe(issue.input)}` }),
  ),
  allowAnyPVC: boolean.default(false),
  internalModelMeshEnvVars: list(envVar),
  modelMeshEndpoint: text.default(""),
  etcdSecretName: text.default(""),
});

export type ServingConfig = z.infer<typeof servingConfigSchema>;
export type ImageConfig = ServingConfig["modelMeshImage"];
export type ResourceConfig = ServingConfig["modelMeshResources"];

/** The built-in defaults (a fresh object each call, so callers cannot alter another's copy). */
export function defaultServingConfig(): ServingConfig {
  return servingConfigSchema.parse({});
}

/** `name@digest` when a digest is set, else `name:tag` (just `name` when the tag is empty). */
export function imageReference(image: ImageConfig): string {
  if (image.digest !== "") return `${image.name}@${image.digest}`;
  return image.tag === "" ? image.name : `${image.name}:${image.tag}`;
}

/** Upstream's etcd Secret name rule: the deprecated `etcdSecretName` key wins only over the default env value. */
export const DEFAULT_ETCD_SECRET_NAME = "model-serving-etcd";

export function effectiveEtcdSecretName(config: ServingConfig, envSecretName: string | undefined): string {
  const fromEnv =
    envSecretName === undefined || envSecretName === "" ? DEFAULT_ETCD_SECRET_NAME : envSecretName;
  if (fromEnv === DEFAULT_ETCD_SECRET_NAME && config.etcdSecretName !== "") return config.etcdSecretName;
  return fromEnv;
}
