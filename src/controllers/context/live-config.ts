/**
 * The live user configuration: the ConfigMap `model-serving-config` (key `config.yaml`) in the controller
 * namespace, layered over the built-in defaults. Reloaded when its resourceVersion changes; deleted ⇒ defaults;
 * invalid ⇒ the last good configuration stays, with an error log and a Warning Event on the ConfigMap.
 */
import type { V1ConfigMap } from "@kubernetes/client-node";
import { CONFIG_MAPS } from "../../apis/resource-types.js";
import { parseUserConfig } from "../../config/parse-user-config.js";
import { defaultServingConfig, type ServingConfig } from "../../config/serving-config.js";
import { semanticEqual } from "../../controller-runtime/apply.js";
import { Broadcast } from "../../controller-runtime/broadcast.js";
import type { KubeClient } from "../../controller-runtime/kube-client.js";
import { createLogger } from "../../controller-runtime/logging.js";
import type { Manager } from "../../controller-runtime/manager.js";
import type { ConfigSource, EventRecorder } from "./context.js";

const log = createLogger("config");

/** The user configuration: this ConfigMap in the controller namespace, key `config.yaml`. */
export const USER_CONFIG_MAP_NAME = "model-serving-config";

export const REASON_INVALID_CONFIG = "InvalidConfiguration";
export const REASON_CONFIG_LOADED = "ConfigurationLoaded";

export interface LoadedConfig {
  config: ServingConfig;
  /** resourceVersion of the ConfigMap it came from; empty for the defaults (no ConfigMap). */
  resourceVersion: string;
}

/** Thrown at start-up when the user configuration is invalid: the process must not start on a wrong config. */
export class InvalidUserConfigError extends Error {
  override name = "InvalidUserConfigError";
}

function configFrom(configMap: V1ConfigMap): ReturnType<typeof parseUserConfig> {
  const result = parseUserConfig(configMap.data);
  if (result.ok && result.value.unknownKeys.length > 0)
    log.warn({ unknownKeys: result.value.unknownKeys }, "ignoring unknown keys of the user configuration");
  return result;
}

/** Reads the ConfigMap once before the caches start; an invalid one throws `InvalidUserConfigError`. */
export async function loadInitialConfig(client: KubeClient, namespace: string): Promise<LoadedConfig> {
  const configMap = await client.get<V1ConfigMap>(CONFIG_MAPS, USER_CONFIG_MAP_NAME, namespace);
  if (configMap === undefined) {
    log.info({ namespace, configMap: USER_CONFIG_MAP_NAME }, "no user configuration; using the defaults");
    return { config: defaultServingConfig(), resourceVersion: "" };
  }
  const result = configFrom(configMap);
  if (!result.ok) {
    throw new InvalidUserConfigError(
      `Error loading user config from configmap ${namespace}/${USER_CONFIG_MAP_NAME}: ${result.error}`,
    );
  }
  log.info({ resourceVersion: configMap.metadata?.resourceVersion }, "loaded user configuration");
  return { config: result.value.config, resourceVersion: configMap.metadata?.resourceVersion ?? "" };
}

export class LiveConfigSource implements ConfigSource {
  readonly #listeners = new Broadcast<ServingConfig>(log, "config");
  readonly #events: EventRecorder;
  #config: ServingConfig;
  #resourceVersion: string;

  constructor(options: {
    manager: Manager;
    namespace: string;
    events: EventRecorder;
    initial: LoadedConfig;
  }) {
    this.#events = options.events;
    this.#config = options.initial.config;
    this.#resourceVersion = options.initial.resourceVersion;
    const informer = options.manager.informer<V1ConfigMap>(CONFIG_MAPS, {
      namespace: options.namespace,
      fieldSelector: `metadata.name=${USER_CONFIG_MAP_NAME}`,
    });
    informer.addEventHandler({
      onAdd: (configMap) => this.#reload(configMap),
      onUpdate: (_, configMap) => this.#reload(configMap),
      onDelete: () => this.#revertToDefaults(),
    });
  }

  current(): ServingConfig {
    return this.#config;
  }

  onChange(listener: (config: ServingConfig) => void): void {
    this.#listeners.onChange(listener);
  }

  #reload(configMap: V1ConfigMap): void {
    const resourceVersion = configMap.metadata?.resourceVersion ?? "";
    if (resourceVersion === this.#resourceVersion) return;
    this.#resourceVersion = resourceVersion;
    log.info({ resourceVersion }, "Reloading user config");
    const result = configFrom(configMap);
    if (!result.ok) {
      log.error(
        { err: result.error, resourceVersion },
        "Unable to reload user configuration; keeping the last good one",
      );
      this.#events.record(
        configMap,
        "Warning",
        REASON_INVALID_CONFIG,
        `${result.error} (the controller keeps using its last valid configuration)`,
      );
      return;
    }
    this.#accept(result.value.config);
  }

  #revertToDefaults(): void {
    this.#resourceVersion = "";
    log.info("User configmap deleted, reverting to defaults");
    this.#accept(defaultServingConfig());
  }

  #accept(config: ServingConfig): void {
    const previous = this.#config;
    this.#config = config;
    if (semanticEqual(previous, config)) return;
    log.info("Updated model serving config");
    this.#listeners.emit(config);
  }
}
