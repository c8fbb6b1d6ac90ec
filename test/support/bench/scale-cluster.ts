/**
 * A control plane set up for scale runs: CRDs, the built-in ClusterServingRuntimes, the controller namespace and
 * its etcd Secret, served namespaces labelled `modelmesh-enabled=true`, and per served namespace a ModelMesh
 * emulator (zero load time by default) exposed through the test host (an EndpointSlice and, for upstream's
 * controller, a core/v1 Endpoints object) plus the pod simulator, which reports the runtime Deployments the
 * controller creates as ready. The API server writes an audit log of every write, so
 * each client's writes can be counted (`AuditLog`). Each client runs as its own user.
 */

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import { createMetricsRegistry } from "../../../src/controller-runtime/metrics.js";
import type { SetVModelRequest } from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { meshServicePrefix } from "../../../src/modelmesh-client/registry/etcd-connection.js";
import { type ControlPlane, REPO_ROOT, startControlPlane } from "../control-plane/index.js";
import { etcdSecret, SERVICE_NAME, userConfigMap } from "../controller/user-config.js";
import { exposeEmulator, ModelMeshEmulator, publishEmulatorEndpoints } from "../emulator/index.js";
import type { LoadTime } from "../emulator/load-time.js";
import { meshEtcdClient } from "../etcd/client.js";
import { kubectl } from "../install/install.js";
import { namespaceObject } from "../kube/namespaces.js";
import type { Relay } from "../network/test-host.js";
import { simulateRuntimePods } from "../sandbox/pod-simulator.js";
import { AuditLog, WRITES_AUDIT_POLICY } from "../security/api-writes.js";
import { publishUpstreamEndpoints } from "./upstream-endpoints.js";

export const CONTROLLER_NAMESPACE = "modelmesh-serving";
export { ETCD_SECRET_NAME } from "../controller/user-config.js";
export const ROOT_PREFIX = "modelmesh-serving";
/** The users whose writes are told apart in the audit log. */
export const USERS = {
  controller: "bench-controller",
  loadGenerator: "bench-load",
  infrastructure: "bench-infra",
};

export interface ScaleClusterOptions {
  /** Namespaces that hold models; each is served and gets its own emulator. */
  readonly namespaces: readonly string[];
  /** Storage paths that exist in the emulators' model store. */
  readonly modelPaths: readonly string[];
  /** Per emulated load: fixed milliseconds or a uniform range (0 by default). */
  readonly loadTimeMs?: LoadTime;
  /** Called as each emulator receives a `setVModel`, with the namespace it stands for. */
  readonly onSetVModel?: (namespace: string, request: SetVModelRequest) => void;
  /** Called as each emulator receives any call. */
  readonly onMeshCall?: (namespace: string, method: string) => void;
  /** Called as an emulated load ends, loaded or failed. */
  readonly onLoadEnded?: (namespace: string, modelId: string, loaded: boolean) => void;
}

export interface MeshOfNamespace {
  readonly namespace: string;
  readonly emulator: ModelMeshEmulator;
  readonly relay: Relay;
  readonly pods: { stop(): void };
}

export interface ScaleCluster {
  readonly plane: ControlPlane;
  readonly audit: AuditLog;
  /** kubeconfig files per user of `USERS`. */
  readonly kubeconfigs: Readonly<Record<keyof typeof USERS, string>>;
  /** A client as the load generator's user. */
  readonly client: KubeClient;
  readonly meshes: readonly MeshOfNamespace[];
  /**
   * Makes every namespace's mesh unreachable, then reachable again (EndpointSlice and Endpoints alike): the
   * controller looks at every model.
   */
  bounceEndpoints(): Promise<void>;
  stop(): Promise<void>;
}

function loadKubeConfig(file: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(file);
  return config;
}

export async function startScaleCluster(options: ScaleClusterOptions): Promise<ScaleCluster> {
  const plane = await startControlPlane({ auditPolicy: WRITES_AUDIT_POLICY });
  const modelsDir = mkdtempSync(path.join(tmpdir(), "mms-bench-models-"));
  const etcd = meshEtcdClient(plane.etcdEndpoint);
  const meshes: MeshOfNamespace[] = [];
  const stop = async () => {
    for (const mesh of meshes) {
      mesh.pods.stop();
      await mesh.relay.stop();
      await mesh.emulator.stop();
    }
    etcd.close();
    await plane.stop();
    rmSync(modelsDir, { recursive: true, force: true });
  };
  try {
    const kubeconfigs = {
      controller: await plane.userKubeconfig(USERS.controller, ["system:masters"]),
      loadGenerator: await plane.userKubeconfig(USERS.loadGenerator, ["system:masters"]),
      infrastructure: await plane.userKubeconfig(USERS.infrastructure, ["system:masters"]),
    };
    for (const modelPath of options.modelPaths)
      mkdirSync(path.join(modelsDir, modelPath), { recursive: true });

    await kubectl(plane, ["apply", "--server-side", "-f", path.join(REPO_ROOT, "crds")]);
    await kubectl(plane, ["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
    const objects = [
      namespaceObject(CONTROLLER_NAMESPACE),
      ...options.namespaces.map((name) => namespaceObject(name, { "modelmesh-enabled": "true" })),
      etcdSecret(CONTROLLER_NAMESPACE, { endpoints: plane.etcdEndpoint, rootPrefix: ROOT_PREFIX }),
      // Runtimes stay up while empty, so a run measures models rather than scale-up from zero.
      userConfigMap(CONTROLLER_NAMESPACE, "scaleToZero:\n  enabled: false\n"),
    ];
    await kubectl(
      plane,
      ["apply", "--server-side", "-f", "-"],
      objects.map((o) => stringify(o)).join("---\n"),
    );
    await kubectl(plane, ["apply", "--server-side", "-k", path.join(REPO_ROOT, "config/runtimes")]);

    const infrastructure = loadKubeConfig(kubeconfigs.infrastructure);
    for (const namespace of options.namespaces) {
      const emulator = await ModelMeshEmulator.start({
        kubeConfig: infrastructure,
        namespace,
        etcd,
        servicePrefix: meshServicePrefix(ROOT_PREFIX, CONTROLLER_NAMESPACE, namespace, SERVICE_NAME),
        modelsDir,
        loadTimeMs: options.loadTimeMs ?? 0,
        ...(options.onSetVModel && {
          onSetVModel: (request: SetVModelRequest) => options.onSetVModel?.(namespace, request),
        }),
        ...(options.onMeshCall && { onCall: (method: string) => options.onMeshCall?.(namespace, method) }),
        ...(options.onLoadEnded && {
          onLoadEnded: (modelId: string, loaded: boolean) =>
            options.onLoadEnded?.(namespace, modelId, loaded),
        }),
      });
      const relay = await exposeEmulator(infrastructure, emulator, { namespace });
      await publishUpstreamEndpoints(infrastructure, { namespace, host: relay.host, port: relay.port });
      meshes.push({ namespace, emulator, relay, pods: simulateRuntimePods(infrastructure, namespace) });
    }

    const bounceEndpoints = async () => {
      for (const ready of [false, true]) {
        for (const mesh of meshes) {
          const endpoints = {
            namespace: mesh.namespace,
            host: mesh.relay.host,
            port: mesh.relay.port,
            ready,
          };
          await publishEmulatorEndpoints(infrastructure, endpoints);
          await publishUpstreamEndpoints(infrastructure, endpoints);
        }
        // Let the controller see the unreachable state before the reachable one.
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    const client = new KubeClient(loadKubeConfig(kubeconfigs.loadGenerator), createMetricsRegistry().metrics);
    return {
      plane,
      audit: new AuditLog(path.join(plane.dir, "audit.log")),
      kubeconfigs,
      client,
      meshes,
      bounceEndpoints,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
