/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. One emulated mesh per namespace ModelMesh serves, as a
 * cluster has model-mesh pods in every such namespace: the controller's own namespace, and every namespace labelled
 * `modelmesh-enabled=true`. Each mesh keeps its records where the controller looks for them (the service prefix of
 * the namespace, see `meshServicePrefix`), is published behind the namespace's `modelmesh-serving` EndpointSlice,
 * and has its runtime Deployments' pods simulated. A namespace that stops being served loses its mesh.
 */
import { writeFileSync } from "node:fs";
import type { KubeConfig, V1Namespace } from "@kubernetes/client-node";
import type { Etcd3 } from "etcd3";
import { NAMESPACES } from "../../../src/apis/resource-types.js";
import { Informer, listWatchFor } from "../../../src/controller-runtime/informer.js";
import { createLogger } from "../../../src/controller-runtime/logging.js";
import { meshServicePrefix } from "../../../src/modelmesh-client/registry/etcd-connection.js";
import { SERVICE_NAME } from "../controller/user-config.js";
import { testClient } from "../kube/clients.js";
import type { Relay } from "../network/test-host.js";
import { simulateRuntimePods } from "../sandbox/pod-simulator.js";
import { exposeEmulator } from "./endpoint-slices.js";
import { ModelMeshEmulator, type ModelMeshEmulatorOptions } from "./model-mesh-emulator.js";

/** The label that makes a namespace served in cluster scope (upstream's `modelmesh-enabled`). */
export const SERVED_LABEL = "modelmesh-enabled";

/** Where a namespace's mesh answers on this machine. */
export interface MeshAddress {
  readonly namespace: string;
  /** The gRPC port (`mmesh.ModelMesh` and KServe v2 inference) on 127.0.0.1. */
  readonly grpcPort: number;
  /** The KServe v2 REST port on 127.0.0.1, as rest-proxy serves it. */
  readonly restPort: number | undefined;
}

export interface ServedMeshesOptions
  extends Omit<ModelMeshEmulatorOptions, "namespace" | "servicePrefix" | "port" | "restPort" | "kubeConfig"> {
  readonly kubeConfig: KubeConfig;
  readonly etcd: Etcd3;
  readonly controllerNamespace: string;
  /** `root_prefix` of the etcd Secret the controller reads. */
  readonly rootPrefix: string;
  /** Ports asked for the controller namespace's mesh (0: any free port); other meshes take free ports. */
  readonly ports: { readonly grpc: number; readonly rest: number };
  /** Written with every mesh's address whenever the set changes (for the sandbox to print). */
  readonly addressFile?: string;
}

interface RunningMesh {
  readonly emulator: ModelMeshEmulator;
  readonly relay: Relay;
  readonly pods: { stop(): void };
}

const log = createLogger("test.ServedMeshes");

export class ServedMeshes {
  readonly #options: ServedMeshesOptions;
  readonly #meshes = new Map<string, Promise<RunningMesh>>();
  readonly #namespaces: Informer<V1Namespace>;
  /** Serialises starts and stops, so a namespace labelled and unlabelled quickly ends as its label says. */
  #changes: Promise<void> = Promise.resolve();

  private constructor(options: ServedMeshesOptions) {
    this.#options = options;
    const client = testClient(options.kubeConfig);
    this.#namespaces = new Informer<V1Namespace>({
      type: NAMESPACES,
      listWatcher: listWatchFor(client, NAMESPACES),
    });
    const look = (namespace: V1Namespace) => this.#change(namespace.metadata?.name ?? "");
    this.#namespaces.addEventHandler({
      onAdd: look,
      onUpdate: (_before, after) => look(after),
      onDelete: look,
    });
  }

  /** Starts the controller namespace's mesh, then follows the served namespaces. */
  static async start(options: ServedMeshesOptions): Promise<ServedMeshes> {
    const meshes = new ServedMeshes(options);
    meshes.#change(options.controllerNamespace);
    await meshes.#changes;
    meshes.#namespaces.start();
    await meshes.#namespaces.waitForSync(60_000);
    await meshes.#changes;
    return meshes;
  }

  /** The addresses of the meshes running now. */
  async addresses(): Promise<MeshAddress[]> {
    const running = await Promise.all(
      [...this.#meshes].map(async ([namespace, mesh]) => ({ namespace, mesh: await mesh })),
    );
    return running
      .map(({ namespace, mesh }) => ({
        namespace,
        grpcPort: mesh.emulator.port,
        restPort: mesh.emulator.restPort,
      }))
      .sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
  }

  async stop(): Promise<void> {
    await this.#namespaces.stop();
    await this.#changes;
    for (const namespace of [...this.#meshes.keys()]) await this.#stopMesh(namespace);
  }

  #isServed(namespace: string): boolean {
    if (namespace === this.#options.controllerNamespace) return true;
    const object = this.#namespaces.store.getByName(namespace);
    return (
      object?.metadata?.labels?.[SERVED_LABEL] === "true" && object.metadata.deletionTimestamp === undefined
    );
  }

  #change(namespace: string): void {
    this.#changes = this.#changes.then(async () => {
      const served = this.#isServed(namespace);
      if (served === this.#meshes.has(namespace)) return;
      try {
        if (served) await this.#startMesh(namespace);
        else await this.#stopMesh(namespace);
        await this.#writeAddresses();
      } catch (error) {
        log.error({ namespace, error: String(error) }, "could not start or stop the namespace's mesh");
      }
    });
  }

  async #startMesh(namespace: string): Promise<void> {
    const {
      kubeConfig,
      controllerNamespace,
      rootPrefix,
      ports,
      addressFile: _file,
      ...emulatorOptions
    } = this.#options;
    const own = namespace === controllerNamespace;
    const starting = (async (): Promise<RunningMesh> => {
      const emulator = await ModelMeshEmulator.start({
        ...emulatorOptions,
        kubeConfig,
        namespace,
        servicePrefix: meshServicePrefix(rootPrefix, controllerNamespace, namespace, SERVICE_NAME),
        port: own ? ports.grpc : 0,
        restPort: own ? ports.rest : 0,
      });
      const relay = await exposeEmulator(kubeConfig, emulator, { namespace });
      return { emulator, relay, pods: simulateRuntimePods(kubeConfig, namespace) };
    })();
    this.#meshes.set(namespace, starting);
    try {
      const mesh = await starting;
      log.info({ namespace, grpcPort: mesh.emulator.port, restPort: mesh.emulator.restPort }, "mesh started");
    } catch (error) {
      this.#meshes.delete(namespace);
      throw error;
    }
  }

  async #stopMesh(namespace: string): Promise<void> {
    const mesh = await this.#meshes.get(namespace);
    this.#meshes.delete(namespace);
    if (mesh === undefined) return;
    mesh.pods.stop();
    await mesh.relay.stop();
    await mesh.emulator.stop();
    log.info({ namespace }, "mesh stopped");
  }

  async #writeAddresses(): Promise<void> {
    if (this.#options.addressFile === undefined) return;
    writeFileSync(this.#options.addressFile, `${JSON.stringify(await this.addresses(), null, 1)}\n`);
  }
}
