/** `modelmesh-serving render`: the objects the controller would create for some runtimes, with no cluster. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml, stringify } from "yaml";
import { parseUserConfig, parseUserConfigYaml, type UserConfig } from "../../config/parse-user-config.js";
import { defaultServingConfig, effectiveEtcdSecretName } from "../../config/serving-config.js";
import { fail, ok, type Result } from "../../lib/result.js";
import { type Command, EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE } from "../io.js";
import { renderObjects } from "../render-objects.js";
import { type ReadResult, readRuntimeDocuments } from "../runtime-documents.js";

export const DEFAULT_RENDER_NAMESPACE = "modelmesh-serving";

const USAGE = `Usage: modelmesh-serving render [--config <user-config.yaml>] [--namespace <ns>] -f <file or dir>...

Prints, as a YAML stream, every object the controller would create for the given ServingRuntimes and
ClusterServingRuntimes: per namespace the Service and the tc-config ConfigMap, then one Deployment per enabled
multi-model runtime (and its HorizontalPodAutoscaler for autoscalerClass hpa). Nothing is sent to a cluster.

Options:
  -f, --file <path>       YAML file (several documents allowed) or directory of .yaml/.yml files; repeatable
  -c, --config <path>     the user configuration: the config.yaml text, or the model-serving-config ConfigMap
                          manifest holding it (default: the built-in defaults)
  -n, --namespace <ns>    namespace for ClusterServingRuntimes and for ServingRuntimes that name none
                          (default: ${DEFAULT_RENDER_NAMESPACE})
  -h, --help              show this help

Replicas are the scaled-up count (the runtime's replicas, else podsPerRuntime); the controller scales unused
runtimes to zero. Owner reference uids are the runtime's metadata.uid, empty when the file has none.
`;

function yamlFilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return yamlFilesUnder(child);
      return /\.ya?ml$/.test(entry.name) ? [child] : [];
    });
}

/** A config file holds either `config.yaml` itself or the ConfigMap carrying it. */
function loadConfig(text: string): Result<UserConfig> {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch {
    return parseUserConfigYaml(text);
  }
  const isConfigMap =
    typeof document === "object" &&
    document !== null &&
    (document as { kind?: unknown }).kind === "ConfigMap";
  if (!isConfigMap) return parseUserConfigYaml(text);
  const data = (document as { data?: unknown }).data;
  return parseUserConfig(
    typeof data === "object" && data !== null ? (data as Record<string, string>) : undefined,
  );
}

function readText(path: string): Result<string> {
  try {
    return ok(readFileSync(path, "utf8"));
  } catch (error) {
    return fail(`cannot read ${path}: ${(error as NodeJS.ErrnoException).message}`);
  }
}

export const renderCommand: Command = {
  name: "render",
  summary: "print the objects the controller would create for some runtimes (no cluster needed)",
  usage: USAGE,
  async run(args, io) {
    let values: { file?: string[]; config?: string; namespace?: string; help?: boolean };
    try {
      values = parseArgs({
        args: [...args],
        options: {
          file: { type: "string", short: "f", multiple: true },
          config: { type: "string", short: "c" },
          namespace: { type: "string", short: "n" },
          help: { type: "boolean", short: "h" },
        },
      }).values;
    } catch (error) {
      io.stderr(`${(error as Error).message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (values.help === true) {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    if (values.file === undefined || values.file.length === 0) {
      io.stderr(`at least one -f <file or dir> is required\n\n${USAGE}`);
      return EXIT_USAGE;
    }

    let config = defaultServingConfig();
    if (values.config !== undefined) {
      const text = readText(resolve(io.cwd, values.config));
      if (!text.ok) {
        io.stderr(`${text.error}\n`);
        return EXIT_INVALID_INPUT;
      }
      const loaded = loadConfig(text.value);
      if (!loaded.ok) {
        io.stderr(`${values.config}: ${loaded.error}\n`);
        return EXIT_INVALID_INPUT;
      }
      config = loaded.value.config;
      for (const key of loaded.value.unknownKeys)
        io.stderr(`${values.config}: ignoring unknown config key ${key}\n`);
    }

    const read: ReadResult = { runtimes: [], skipped: [], errors: [] };
    for (const given of values.file) {
      const path = resolve(io.cwd, given);
      let files: string[];
      try {
        files = yamlFilesUnder(path);
      } catch (error) {
        read.errors.push(`cannot read ${given}: ${(error as NodeJS.ErrnoException).message}`);
        continue;
      }
      for (const file of files) {
        const text = readText(file);
        if (text.ok) readRuntimeDocuments(text.value, file, read);
        else read.errors.push(text.error);
      }
    }
    for (const skipped of read.skipped)
      io.stderr(`skipping ${skipped}: not a ServingRuntime or ClusterServingRuntime\n`);
    if (read.errors.length > 0) {
      io.stderr(read.errors.map((error) => `${error}\n`).join(""));
      return EXIT_INVALID_INPUT;
    }
    if (read.runtimes.length === 0) {
      io.stderr("no ServingRuntime or ClusterServingRuntime found\n");
      return EXIT_INVALID_INPUT;
    }

    const rendered = renderObjects(read.runtimes, {
      config,
      namespace: values.namespace ?? DEFAULT_RENDER_NAMESPACE,
      etcdSecretName: effectiveEtcdSecretName(config, io.env.ETCD_SECRET_NAME),
    });
    if (!rendered.ok) {
      io.stderr(`${rendered.error}\n`);
      return EXIT_INVALID_INPUT;
    }
    io.stdout(
      rendered.value
        .map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false }))
        .join("---\n"),
    );
    return EXIT_OK;
  },
};
