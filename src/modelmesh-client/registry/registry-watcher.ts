/** Follows ModelMesh's vmodel and registry tables of a namespace in etcd, as reconcile keys. */
import type { Etcd3 } from "etcd3";
import { createLogger, type Logger } from "../../controller-runtime/logging.js";
import { isRecord } from "../../lib/is-record.js";
import { type LosslessJson, parseLosslessJson } from "../../lib/lossless-json.js";
import { fail, ok, type Result } from "../../lib/result.js";
import { PREDICTOR_SOURCE, parseConcreteModelId } from "../model-id.js";
import { type RangeEvent, RangeWatcher } from "./range-watcher.js";

/** The resource a ModelMesh registry change concerns: reconcile `name` of kind `source` in `namespace`. */
export interface ModelEventKey {
  readonly source: string;
  readonly namespace: string;
  readonly name: string;
}

export const VMODELS_TABLE = "vmodels/";
export const REGISTRY_TABLE = "registry/";

function isJsonObject(value: LosslessJson): value is { [key: string]: LosslessJson } {
  return isRecord(value);
}

/**
 * The vmodel record's owner (`o`); an empty owner means a Predictor, as model-mesh's default owner is `ksp`.
 */
export function vmodelEventKey(
  namespace: string,
  vmodelId: string,
  recordJson: string,
): Result<ModelEventKey> {
  let record: LosslessJson;
  try {
    record = parseLosslessJson(recordJson);
  } catch (error) {
    return fail(`unparseable vmodel record: ${(error as Error).message}`);
  }
  if (!isJsonObject(record)) return fail("vmodel record is not a JSON object");
  const owner = record.o ?? "";
  if (typeof owner !== "string") return fail("vmodel record field 'o' is not a string");
  return ok({ source: owner || PREDICTOR_SOURCE, namespace, name: vmodelId });
}

/** A registry key `name__source-hhhhhhhhhh` names its resource; other keys are not ours. */
export function registryEventKey(namespace: string, modelId: string): ModelEventKey | undefined {
  const parsed = parseConcreteModelId(modelId);
  return parsed && { source: parsed.source, namespace, name: parsed.name };
}

export interface RegistryWatcherOptions {
  readonly client: Etcd3;
  /** `<rp>/mm/<service>` of the namespace, see `meshServicePrefix`. */
  readonly servicePrefix: string;
  readonly namespace: string;
  /** Called for every vmodel change and every registry PUT, and for each key on every (re)sync. */
  readonly onEvent: (key: ModelEventKey) => void;
  /** Called when the registry was read again after its watch broke or etcd was unreachable. */
  readonly onResynced?: () => void;
  readonly log?: Logger;
  readonly minBackoffMs?: number;
}

/**
 * Watches one namespace's ModelMesh tables and turns changes into reconcile keys: vmodels (updates, and deletes
 * whose record was seen) by vmodel id and owner, registry PUTs by the name and source in the model id. Registry
 * deletes are ignored (the vmodel change covers them). Malformed records are logged and skipped.
 */
export class RegistryWatcher {
  private readonly watchers: RangeWatcher[];
  private readonly log: Logger;

  constructor(private readonly options: RegistryWatcherOptions) {
    this.log = options.log ?? createLogger("mesh.RegistryWatcher", { namespace: options.namespace });
    this.log.info({ servicePrefix: options.servicePrefix }, "watching the ModelMesh registry");
    const common = { client: options.client, log: this.log, minBackoffMs: options.minBackoffMs };
    this.watchers = [
      new RangeWatcher({
        ...common,
        prefix: `${options.servicePrefix}/${VMODELS_TABLE}`,
        onEvent: (event) => this.onVModel(event),
        // Both ranges break together when etcd goes away; one signal is enough.
        onResynced: options.onResynced,
      }),
      new RangeWatcher({
        ...common,
        prefix: `${options.servicePrefix}/${REGISTRY_TABLE}`,
        // Registry deletes are ignored, so their values need not be kept.
        keepValues: false,
        onEvent: (event) => this.onModel(event),
      }),
    ];
  }

  async stop(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.stop()));
  }

  private onVModel(event: RangeEvent): void {
    const record = event.type === "update" ? event.value : event.previousValue;
    if (record === undefined) return;
    const key = vmodelEventKey(this.options.namespace, event.key, record);
    if (!key.ok) {
      this.log.error(
        { vmodelId: event.key, problem: key.error },
        "ignoring a malformed ModelMesh vmodel record",
      );
      return;
    }
    this.options.onEvent(key.value);
  }

  private onModel(event: RangeEvent): void {
    if (event.type !== "update") return;
    const key = registryEventKey(this.options.namespace, event.key);
    if (!key) {
      this.log.debug({ modelId: event.key }, "Ignoring event for unrecognized ModelMesh model");
      return;
    }
    this.options.onEvent(key);
  }
}
