/**
 * What a cluster would run next to the controller, stood in for by test infrastructure: per served namespace a
 * ModelMesh emulator behind the namespace's `modelmesh-serving` EndpointSlice (decisions 0004, 0043) and the pod
 * simulator that marks runtime Deployments ready (no kubelet here). The model store is a local directory in which
 * the models' storage paths exist.
 */

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SECRETS } from "../../../src/apis/resource-types.js";
import { convertInferenceService } from "../../../src/apis/serving/inference-service-conversion.js";
import type { InferenceService } from "../../../src/apis/serving/v1beta1/inference-service.js";
import { modelLocation } from "../../../src/modelmesh-client/model-id.js";
import { meshServicePrefix } from "../../../src/modelmesh-client/registry/etcd-connection.js";
import type { ControlPlane } from "../control-plane/index.js";
import { etcdSecret, SERVICE_NAME } from "../controller/user-config.js";
import { exposeEmulator, ModelMeshEmulator } from "../emulator/index.js";
import { meshEtcdClient } from "../etcd/client.js";
import type { InstalledObject } from "../install/install.js";
import { testClient } from "../kube/clients.js";
import type { Relay } from "../network/test-host.js";
import { simulateRuntimePods } from "../sandbox/pod-simulator.js";

export const ROOT_PREFIX = "modelmesh-serving";

/** The storage path a Predictor or ModelMesh InferenceService loads (as the emulator resolves it). */
export function modelPath(object: InstalledObject): string | undefined {
  if (object.kind === "Predictor") return (object as { spec?: { path?: string } }).spec?.path;
  if (object.kind !== "InferenceService") return undefined;
  const converted = convertInferenceService(object as unknown as InferenceService);
  return converted.ok ? modelLocation(converted.value).path : undefined;
}

export class ModelStore {
  readonly dir = mkdtempSync(path.join(tmpdir(), "mms-e2e-models-"));

  /** Makes the storage paths of these models exist, so their loads succeed. */
  add(objects: readonly InstalledObject[]): void {
    for (const object of objects) {
      const where = modelPath(object);
      if (where !== undefined) mkdirSync(path.join(this.dir, where), { recursive: true });
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The etcd Secret a user creates in the controller namespace, pointing at the plane's etcd. */
export async function createEtcdSecret(plane: ControlPlane, namespace: string): Promise<void> {
  await testClient(plane.kubeConfig).create(
    SECRETS,
    etcdSecret(namespace, { endpoints: plane.etcdEndpoint, rootPrefix: ROOT_PREFIX }),
  );
}

export interface ServedMesh {
  readonly namespace: string;
  readonly emulator: ModelMeshEmulator;
  stop(): Promise<void>;
}

/** The ModelMesh of one served namespace, reachable through its EndpointSlice, and its runtime pods. */
export async function startMesh(
  plane: ControlPlane,
  options: { controllerNamespace: string; namespace: string; store: ModelStore },
): Promise<ServedMesh> {
  const etcd = meshEtcdClient(plane.etcdEndpoint);
  const emulator = await ModelMeshEmulator.start({
    kubeConfig: plane.kubeConfig,
    namespace: options.namespace,
    etcd,
    servicePrefix: meshServicePrefix(
      ROOT_PREFIX,
      options.controllerNamespace,
      options.namespace,
      SERVICE_NAME,
    ),
    modelsDir: options.store.dir,
    loadTimeMs: 200,
    refreshMs: 200,
  });
  const relay: Relay = await exposeEmulator(plane.kubeConfig, emulator, { namespace: options.namespace });
  const pods = simulateRuntimePods(plane.kubeConfig, options.namespace);
  return {
    namespace: options.namespace,
    emulator,
    async stop() {
      pods.stop();
      await relay.stop();
      await emulator.stop();
      etcd.close();
    },
  };
}
