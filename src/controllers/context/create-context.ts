/** Builds the context every controller of the process shares: manager, probes, live config, served namespaces. */
import { effectiveEtcdSecretName } from "../../config/serving-config.js";
import type { ClusterAccess } from "../../controller-runtime/cluster-access.js";
import { Manager, type ManagerOptions } from "../../controller-runtime/manager.js";
import type { ControllerContext, Features, Scope } from "./context.js";
import { AggregatingEventRecorder } from "./event-recorder.js";
import { type FeatureEnv, probeFeatures } from "./features.js";
import { LiveConfigSource, loadInitialConfig } from "./live-config.js";
import { createServedNamespaces } from "./served-namespaces.js";

export interface ContextOptions {
  kubeConfig: ClusterAccess;
  scope: Scope;
  controllerNamespace: string;
  controllerDeploymentName: string;
  /** Env `ETCD_SECRET_NAME`. */
  etcdSecretNameEnv?: string | undefined;
  /** Env `ENABLE_ISVC_WATCH`, `ENABLE_CSR_WATCH`. */
  featureEnv?: FeatureEnv;
  /** Skips the probes (tests that want a feature regardless of the cluster). */
  features?: Features;
  manager?: Omit<ManagerOptions, "kubeConfig">;
  /** Shortest time between two writes of a repeated Event. */
  eventRepeatIntervalMs?: number;
}

export interface ProcessContext extends ControllerContext {
  events: AggregatingEventRecorder;
}

/**
 * Probes the optional APIs and loads the user configuration before any cache starts; throws (with a message a
 * person can act on) when the configuration is invalid or a required API is missing.
 */
export async function createControllerContext(options: ContextOptions): Promise<ProcessContext> {
  const manager = new Manager({ ...options.manager, kubeConfig: options.kubeConfig });
  const events = new AggregatingEventRecorder({
    client: manager.client,
    repeatIntervalMs: options.eventRepeatIntervalMs,
  });
  const features =
    options.features ?? (await probeFeatures(manager.client, options.scope, options.featureEnv ?? {}));
  const initial = await loadInitialConfig(manager.client, options.controllerNamespace);
  const config = new LiveConfigSource({ manager, namespace: options.controllerNamespace, events, initial });
  const servedNamespaces = createServedNamespaces(manager, options.scope, options.controllerNamespace);
  return {
    manager,
    scope: options.scope,
    controllerNamespace: options.controllerNamespace,
    controllerDeploymentName: options.controllerDeploymentName,
    etcdSecretName: () => effectiveEtcdSecretName(config.current(), options.etcdSecretNameEnv),
    config,
    servedNamespaces,
    events,
    features,
  };
}
