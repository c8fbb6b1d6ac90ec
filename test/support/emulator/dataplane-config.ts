/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. model-mesh's data-plane API config (modelmesh
 * `DataplaneApiConfig`), which the controller writes into `tc-config` (`dataplane_api_config`): per inference
 * method, the field path that holds the model id and whether that id names a vmodel; whether other methods are
 * allowed (they are then routed by headers). Unknown members are refused, as model-mesh's parser refuses them.
 * Without a config, model-mesh allows every method and routes each by headers.
 */
import { z } from "zod";

export interface RpcConfig {
  /** Field numbers down to the string holding the model id; empty: the id comes from the headers. */
  readonly idExtractionPath: readonly number[];
  /** Whether the extracted id is a vmodel id. */
  readonly vModelId: boolean;
}

const RpcConfigSchema = z
  .object({
    idExtractionPath: z.array(z.number().int().positive()).default([]),
    vModelId: z.boolean().default(false),
  })
  .strict();

const ApiConfigSchema = z
  .object({
    rpcConfigs: z.record(z.string(), RpcConfigSchema).default({}),
    allowOtherRpcs: z.boolean().default(false),
  })
  .strict();

const BY_HEADERS: RpcConfig = { idExtractionPath: [], vModelId: false };

export class DataplaneApiConfig {
  /** model-mesh's configuration when none is given: every method allowed, routed by headers. */
  static readonly NONE = new DataplaneApiConfig(new Map(), true);

  private constructor(
    private readonly rpcConfigs: ReadonlyMap<string, RpcConfig>,
    private readonly allowOtherRpcs: boolean,
  ) {}

  /** Parses the JSON model-mesh reads; throws on what model-mesh would refuse at start. */
  static parse(json: string): DataplaneApiConfig {
    const config = ApiConfigSchema.parse(JSON.parse(json));
    return new DataplaneApiConfig(new Map(Object.entries(config.rpcConfigs)), config.allowOtherRpcs);
  }

  /** How `<package.Service>/<Method>` is routed, or undefined when the method is not allowed. */
  rpcConfig(method: string): RpcConfig | undefined {
    return this.rpcConfigs.get(method) ?? (this.allowOtherRpcs ? BY_HEADERS : undefined);
  }
}
