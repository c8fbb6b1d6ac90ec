/**
 * A whole installation on a private control plane, for suites that break things: kube-apiserver + etcd (restartable),
 * the CRDs, the install's RBAC with the controller running as its ServiceAccount (client certificate
 * `system:serviceaccount:<ns>:modelmesh-controller`), a ServingRuntime, ModelMesh's own etcd (restartable,
 * compactable), the ModelMesh emulator behind the namespace's EndpointSlice, the pod simulator standing in for the
 * kubelet, and `modelmesh-serving run` processes with the webhook registered (as the sandbox runs it).
 */

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import type { KubeConfig, KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import { stringify } from "yaml";
import {
  DEPLOYMENTS,
  INFERENCE_SERVICES,
  SECRETS,
  SERVING_RUNTIMES,
} from "../../../src/apis/resource-types.js";
import { LABELS } from "../../../src/builders/constants.js";
import { Informer, listWatchFor } from "../../../src/controller-runtime/informer.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import {
  ModelStatusInfo_ModelStatus as ModelStatus,
  type VModelStatusInfo,
} from "../../../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { meshServicePrefix } from "../../../src/modelmesh-client/registry/etcd-connection.js";
import { REGISTRY_TABLE, VMODELS_TABLE } from "../../../src/modelmesh-client/registry/registry-watcher.js";
import { type ControlPlane, controlPlaneBinaries, startControlPlane } from "../control-plane/index.js";
import { processCpuMs } from "../control-plane/processes.js";
import { type ControllerProcess, startControllerProcess } from "../controller/process.js";
import { installControllerRbac, serviceAccountKubeconfig } from "../controller/service-account.js";
import { ETCD_SECRET_NAME, SERVICE_NAME } from "../controller/user-config.js";
import { localWebhookConfiguration, writeLoopbackWebhookCertificate } from "../controller/webhook.js";
import {
  exposeEmulator,
  ModelMeshEmulator,
  type ModelMeshEmulatorOptions,
  publishEmulatorEndpoints,
} from "../emulator/index.js";
import { EtcdProcess } from "../etcd/etcd-process.js";
import { loadKubeConfig, testClient } from "../kube/clients.js";
import { installCrds } from "../kube/crds.js";
import { createExactNamespace } from "../kube/namespaces.js";
import { VALIDATING_WEBHOOK_CONFIGURATIONS } from "../kube/resource-types.js";
import { exposedSamples } from "../metrics/exposition.js";
import type { Relay } from "../network/test-host.js";
import { customRuntime } from "../runtimes/custom-runtime.js";
import { simulateRuntimePods } from "../sandbox/pod-simulator.js";
import { type ExpectedState, GOOD_MODEL_PATH, MODEL_FORMAT } from "./load.js";

export const STORAGE_SECRET = "storage-config";
export const RUNTIME = "rt-sklearn";

export interface MeshClusterOptions {
  /** The controller namespace (and, in namespace scope, the only one served). */
  readonly namespace?: string;
  readonly scope?: "namespace" | "cluster";
  readonly auditPolicy?: string;
  /** Contents of the etcd and storage Secrets (defaults: a plain etcd connection, one S3 entry). */
  readonly etcdConnection?: Record<string, unknown>;
  readonly extraEtcdSecretData?: Record<string, string>;
  readonly storageSecretData?: Record<string, string>;
  readonly loadTimeMs?: number;
  /** Start without the emulator (a suite then calls `exposeMesh` with its own ModelMesh). */
  readonly withoutEmulator?: boolean;
  /** Register the controller's validating webhook (served by the first controller started). */
  readonly webhook?: boolean;
}

export interface ModelCensus {
  readonly total: number;
  readonly byState: Record<string, number>;
  /** Expected names the API server no longer has. */
  readonly lost: string[];
  /** Names not in their expected end state, with what they show. */
  readonly unsettled: Array<{ name: string; expected: ExpectedState; state: string }>;
  /** Resources being deleted whose finalizer is still there. */
  readonly terminating: string[];
  /** vmodels without a resource, and resources without a vmodel. */
  readonly orphanVModels: string[];
  readonly missingVModels: string[];
  /** Registry models no vmodel refers to. */
  readonly orphanModels: string[];
  /** vmodels registered by another owner than `isvc`, or mid-transition. */
  readonly badVModels: string[];
  /** Models planned to fail that ModelMesh holds a copy of (a load interrupted by an outage). */
  readonly interruptedLoads: string[];
}

export function converged(census: ModelCensus): boolean {
  return (
    census.lost.length === 0 &&
    census.terminating.length === 0 &&
    census.unsettled.length === 0 &&
    census.orphanVModels.length === 0 &&
    census.missingVModels.length === 0 &&
    census.orphanModels.length === 0 &&
    census.badVModels.length === 0
  );
}

type Isvc = KubernetesObject & {
  status?: {
    modelStatus?: { states?: { activeModelState?: string }; lastFailureInfo?: { reason?: string } };
  };
};

/** The status state the mesh's answer for a vmodel's active model stands for. */
function meshStateName(vmodel: VModelStatusInfo): string {
  switch (vmodel.activeModelStatus?.status) {
    case ModelStatus.LOADED:
      return "Loaded";
    case ModelStatus.LOADING:
      return "Loading";
    case ModelStatus.NOT_LOADED:
      return "Standby";
    case ModelStatus.LOADING_FAILED:
      return "FailedToLoad";
    default:
      return "Pending";
  }
}

export class MeshCluster {
  readonly controllers: ControllerProcess[] = [];
  emulator: ModelMeshEmulator | undefined;
  #relay: Relay | undefined;
  #pods: { stop(): void } | undefined;
  #webhookRegistered = false;
  #watched: Informer<Isvc> | undefined;

  private constructor(
    readonly plane: ControlPlane,
    readonly kubeConfig: KubeConfig,
    readonly client: KubeClient,
    readonly namespace: string,
    readonly scope: "namespace" | "cluster",
    readonly etcd: EtcdProcess,
    readonly servicePrefix: string,
    readonly workDir: string,
    readonly controllerKubeconfigPath: string,
    private readonly options: MeshClusterOptions,
  ) {}

  static async start(options: MeshClusterOptions = {}): Promise<MeshCluster> {
    const plane = await startControlPlane(
      options.auditPolicy === undefined ? {} : { auditPolicy: options.auditPolicy },
    );
    const etcd = await EtcdProcess.start();
    try {
      await installCrds(plane.kubeconfigPath);
      const kubeConfig = loadKubeConfig(plane.kubeconfigPath);
      const client = testClient(kubeConfig);
      const namespace = options.namespace ?? "modelmesh-serving";
      const scope = options.scope ?? "namespace";
      await createExactNamespace(client, namespace);
      const rootPrefix = "modelmesh-serving";
      await client.create(SECRETS, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: ETCD_SECRET_NAME, namespace },
        stringData: {
          etcd_connection: JSON.stringify(
            options.etcdConnection ?? { endpoints: etcd.endpoint, root_prefix: rootPrefix },
          ),
          ...options.extraEtcdSecretData,
        },
      } as KubernetesObject);
      await client.create(SECRETS, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: STORAGE_SECRET, namespace },
        stringData: options.storageSecretData ?? {
          localMinIO: JSON.stringify({
            type: "s3",
            endpoint_url: "http://minio:9000",
            default_bucket: "models",
          }),
        },
      } as KubernetesObject);
      await installControllerRbac(client, scope, namespace);
      const controllerKubeconfigPath = await serviceAccountKubeconfig(plane.kubeconfigPath, namespace);
      const workDir = mkdtempSync(path.join(tmpdir(), "mms-resilience-"));
      mkdirSync(path.join(workDir, "models", GOOD_MODEL_PATH), { recursive: true });
      const cluster = new MeshCluster(
        plane,
        kubeConfig,
        client,
        namespace,
        scope,
        etcd,
        meshServicePrefix(rootPrefix, namespace, namespace, SERVICE_NAME),
        workDir,
        controllerKubeconfigPath,
        options,
      );
      await client.create(
        SERVING_RUNTIMES,
        customRuntime("ServingRuntime", RUNTIME, namespace, {
          spec: { supportedModelFormats: [{ name: MODEL_FORMAT, version: "1", autoSelect: true }] },
        }),
      );
      if (!options.withoutEmulator) await cluster.startEmulator();
      return cluster;
    } catch (error) {
      await etcd.stop();
      await plane.stop();
      throw error;
    }
  }

  get logDir(): string {
    return this.workDir;
  }

  /** The emulator behind the namespace's EndpointSlice, and the pod simulator marking runtimes ready. */
  async startEmulator(hooks: Pick<ModelMeshEmulatorOptions, "onSetVModel"> = {}): Promise<void> {
    this.emulator = await ModelMeshEmulator.start({
      kubeConfig: this.kubeConfig,
      namespace: this.namespace,
      etcd: this.etcd.client,
      servicePrefix: this.servicePrefix,
      modelsDir: path.join(this.workDir, "models"),
      loadTimeMs: this.options.loadTimeMs ?? 50,
      refreshMs: 500,
      ...hooks,
    });
    await this.exposeMesh(this.emulator.socketPath);
  }

  /**
   * How many statuses disagree with what the mesh answers for their vmodel (its active model's state, or a
   * reachability failure the mesh no longer has); a status one step behind a load that just ended is counted
   * apart, as `catchingUp`.
   */
  async statusesAgainstMesh(): Promise<{ disagree: number; catchingUp: number; sample: string[] }> {
    const emulator = this.emulator;
    if (emulator === undefined) throw new Error("no emulator runs");
    let disagree = 0;
    let catchingUp = 0;
    const sample: string[] = [];
    for (const isvc of await this.watchedInferenceServices()) {
      const name = isvc.metadata?.name ?? "";
      const answer = emulator.peekVModel(name);
      const meshState = answer === undefined ? "Pending" : meshStateName(answer);
      const shown = isvc.status?.modelStatus?.states?.activeModelState ?? "";
      const stale = isvc.status?.modelStatus?.lastFailureInfo?.reason === "RuntimeUnhealthy";
      if (shown === meshState && !stale) continue;
      // One step behind a load that just ended (its Event or registry write is on its way).
      if (shown === "Loading" && (meshState === "Loaded" || meshState === "FailedToLoad")) catchingUp++;
      else {
        disagree++;
        if (sample.length < 3)
          sample.push(`${name}: shown ${shown}${stale ? " (RuntimeUnhealthy)" : ""}, mesh ${meshState}`);
      }
    }
    return { disagree, catchingUp, sample };
  }

  /**
   * The namespace's InferenceServices as a watch has them (started at the first call). A suite that follows
   * thousands of statuses by the second reads them here: listing them that often would load the API server whose
   * writes it is timing.
   */
  async watchedInferenceServices(): Promise<Isvc[]> {
    if (this.#watched === undefined) {
      this.#watched = new Informer<Isvc>({
        type: INFERENCE_SERVICES,
        listWatcher: listWatchFor(this.client, INFERENCE_SERVICES),
        namespace: this.namespace,
      });
      this.#watched.start();
    }
    if (!(await this.#watched.waitForSync(60_000))) throw new Error("could not list the InferenceServices");
    return this.#watched.store.list();
  }

  /**
   * CPU time used so far, in ms, by each process of the cluster: the API server, its etcd, ModelMesh's etcd, the
   * running controllers, and this test process (the emulator, the relay and the test's own reads).
   */
  cpuMsByProcess(): Record<string, number> {
    const pids: Record<string, number | undefined> = {
      ...this.plane.pids,
      "mesh-etcd": this.etcd.pid,
      "test-process": process.pid,
    };
    for (const [i, controller] of this.controllers.entries())
      if (controller.isRunning()) pids[`controller-${i}`] = controller.pid;
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const ms = pid === undefined ? undefined : processCpuMs(pid);
      if (ms !== undefined) used[name] = ms;
    }
    return used;
  }

  /**
   * The API server's own count of the requests it served so far, by verb and resource
   * (`apiserver_request_total`, summed over codes and scopes): what a phase asked of it is the difference.
   */
  async apiServerRequests(): Promise<Record<string, number>> {
    const options: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const text = await new Promise<string>((resolve, reject) => {
      https
        .get(`${this.kubeConfig.getCurrentCluster()?.server}/metrics`, options, (response) => {
          let body = "";
          response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve(body)).on("error", reject);
        })
        .on("error", reject);
    });
    const counts: Record<string, number> = {};
    for (const { labels, value } of exposedSamples(text, "apiserver_request_total")) {
      const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ""}`;
      counts[key] = (counts[key] ?? 0) + value;
    }
    return counts;
  }

  /** Publishes a ModelMesh serving on `socketPath` behind the namespace's EndpointSlice; runtime pods go ready. */
  async exposeMesh(socketPath: string): Promise<void> {
    this.#relay = await exposeEmulator(this.kubeConfig, { socketPath }, { namespace: this.namespace });
    this.#pods = simulateRuntimePods(this.kubeConfig, this.namespace);
  }

  /**
   * ModelMesh goes away the way it does in a cluster: the process stops, the runtime pods are not ready, and the
   * endpoint controller marks the Service's endpoints not ready.
   */
  async stopEmulator(): Promise<void> {
    this.#pods?.stop();
    await this.emulator?.stop();
    this.emulator = undefined;
    const relay = this.#relay;
    this.#relay = undefined;
    if (relay !== undefined) {
      await publishEmulatorEndpoints(this.kubeConfig, {
        namespace: this.namespace,
        host: relay.host,
        port: relay.port,
        ready: false,
      });
      await relay.stop();
    }
    const list = await this.client.list<V1Deployment>(DEPLOYMENTS, {
      namespace: this.namespace,
      labelSelector: LABELS.modelMeshService,
    });
    for (const deployment of list.items) {
      await this.client.mergePatch(
        DEPLOYMENTS,
        { namespace: this.namespace, name: deployment.metadata?.name, subresource: "status" },
        { status: { readyReplicas: 0, availableReplicas: 0 } },
      );
    }
  }

  /** Starts a controller process (as the ServiceAccount) and, the first time, registers its webhook. */
  /**
   * Starts a controller process as the ServiceAccount, with leader election at the install's timings (15 s lease,
   * 10 s renew deadline, 2 s retry: the defaults), and points the webhook configuration at the latest one.
   */
  async startController(
    name = `controller-${this.controllers.length}`,
    extra: { logLevel?: string } = {},
  ): Promise<ControllerProcess> {
    const certDir = this.options.webhook ? await this.#webhookCertificates() : undefined;
    const controller = await startControllerProcess({
      args: ["run", "--enable-leader-election"],
      kubeconfig: this.controllerKubeconfigPath,
      logFile: path.join(this.workDir, `${name}.log`),
      ...(certDir !== undefined && { webhookCertDir: certDir }),
      env: {
        NAMESPACE: this.namespace,
        NAMESPACE_SCOPE: this.scope === "namespace" ? "true" : "false",
        LOG_LEVEL: extra.logLevel ?? process.env.RESILIENCE_LOG_LEVEL ?? "info",
        ETCD_SECRET_NAME: ETCD_SECRET_NAME,
        POD_NAME: `modelmesh-controller-5d8c-${name}`,
      },
    });
    await controller.waitReady(90_000, "healthz");
    this.controllers.push(controller);
    if (this.options.webhook && controller.ports !== undefined)
      await this.#registerWebhook(controller.ports.webhook);
    return controller;
  }

  async #webhookCertificates(): Promise<string> {
    const dir = path.join(this.workDir, "webhook-certs");
    await writeLoopbackWebhookCertificate(path.join(path.dirname(this.plane.kubeconfigPath), "pki"), dir);
    return dir;
  }

  /** Points the webhook configuration at this port (the latest controller started serves it). */
  async #registerWebhook(port: number): Promise<void> {
    const webhook = localWebhookConfiguration(port, this.plane.caCertPem);
    await this.client.apply(VALIDATING_WEBHOOK_CONFIGURATIONS, webhook, {
      fieldManager: "resilience-tests",
      force: true,
    });
    this.#webhookRegistered = true;
  }

  get webhookRegistered(): boolean {
    return this.#webhookRegistered;
  }

  /** kubectl against this control plane as the admin. */
  async kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const { kubectl } = await controlPlaneBinaries();
    const { spawn } = await import("node:child_process");
    return new Promise((resolve) => {
      const child = spawn(kubectl, ["--kubeconfig", this.plane.kubeconfigPath, ...args]);
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(input ?? "");
    });
  }

  /** Everything that tells whether the models converged, from the API server and from ModelMesh's etcd. */
  async census(expected: ReadonlyMap<string, ExpectedState>): Promise<ModelCensus> {
    const items: Isvc[] = [];
    let continueToken: string | undefined;
    do {
      const page = await this.client.list<Isvc>(INFERENCE_SERVICES, {
        namespace: this.namespace,
        limit: 500,
        continue: continueToken,
      });
      items.push(...page.items);
      continueToken = page.metadata?._continue || undefined;
    } while (continueToken !== undefined);
    const live = new Map(items.map((item) => [item.metadata?.name ?? "", item]));
    const vmodels = await this.#records(VMODELS_TABLE);
    const registry = await this.#records(REGISTRY_TABLE);

    const byState: Record<string, number> = {};
    const interruptedLoads: string[] = [];
    const unsettled: ModelCensus["unsettled"] = [];
    for (const [name, item] of live) {
      const state = item.status?.modelStatus?.states?.activeModelState ?? "";
      const reason = item.status?.modelStatus?.lastFailureInfo?.reason;
      const shown = reason === undefined ? state : `${state}/${reason}`;
      byState[shown] = (byState[shown] ?? 0) + 1;
      const want = expected.get(name);
      if (want === undefined) continue;
      let ok = want === "Loaded" ? state === "Loaded" && reason === undefined : state === "FailedToLoad";
      // A load cut short by a ModelMesh or etcd outage can leave a copy recorded in the registry (the emulator does
      // not re-verify it): then Loaded is ModelMesh's answer, and the status must mirror ModelMesh, not our plan.
      if (!ok && want === "FailedToLoad" && state === "Loaded" && meshHasCopy(vmodels.get(name), registry)) {
        ok = true;
        interruptedLoads.push(name);
      }
      if (!ok) unsettled.push({ name, expected: want, state: shown });
    }
    const referenced = new Set<string>();
    const badVModels: string[] = [];
    for (const [name, record] of vmodels) {
      let parsed: { o?: string; amid?: string; tmid?: string };
      try {
        parsed = JSON.parse(record) as typeof parsed;
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
          throw new Error("not a record");
      } catch {
        badVModels.push(name);
        continue;
      }
      if (parsed.amid) referenced.add(parsed.amid);
      if (parsed.tmid) referenced.add(parsed.tmid);
      if (parsed.o !== "isvc" || (parsed.tmid !== undefined && parsed.tmid !== parsed.amid))
        badVModels.push(name);
    }
    return {
      total: live.size,
      byState,
      lost: [...expected.keys()].filter((name) => !live.has(name)),
      terminating: items
        .filter((i) => i.metadata?.deletionTimestamp !== undefined)
        .map((i) => i.metadata?.name ?? ""),
      unsettled,
      orphanVModels: [...vmodels.keys()].filter((name) => !live.has(name)),
      missingVModels: [...live.keys()].filter((name) => !vmodels.has(name)),
      orphanModels: [...registry.keys()].filter((id) => !referenced.has(id)),
      badVModels,
      interruptedLoads,
    };
  }

  /** The vmodel record ModelMesh's etcd holds for `name`, if any. */
  async vmodelRecord(name: string): Promise<string | undefined> {
    return (
      (await this.etcd.client.get(`${this.servicePrefix}/${VMODELS_TABLE}${name}`).string()) ?? undefined
    );
  }

  /** Writes a vmodel record into ModelMesh's etcd directly, as ModelMesh would register one. */
  async putVModelRecord(name: string, record: Record<string, unknown>): Promise<void> {
    await this.etcd.client.put(`${this.servicePrefix}/${VMODELS_TABLE}${name}`).value(JSON.stringify(record));
  }

  /** How many vmodels ModelMesh holds (0 while its etcd cannot be read). */
  async vmodelCount(): Promise<number> {
    return (await this.#records(VMODELS_TABLE).catch(() => new Map())).size;
  }

  async #records(table: string): Promise<Map<string, string>> {
    const prefix = `${this.servicePrefix}/${table}`;
    const all = await this.etcd.client.getAll().prefix(prefix).strings();
    return new Map(Object.entries(all).map(([key, value]) => [key.slice(prefix.length), value]));
  }

  /** Polls the census until it converges; returns it with the time taken, or throws with the last one. */
  async waitConverged(
    expected: ReadonlyMap<string, ExpectedState>,
    timeoutMs: number,
    onProgress?: (census: ModelCensus) => void,
  ): Promise<{ census: ModelCensus; ms: number }> {
    const started = Date.now();
    let census: ModelCensus | undefined;
    for (;;) {
      try {
        census = await this.census(expected);
        onProgress?.(census);
        if (converged(census)) return { census, ms: Date.now() - started };
      } catch {
        // The API server or etcd may be restarting: look again.
      }
      this.superviseControllers();
      if (Date.now() - started > timeoutMs) {
        throw new Error(`not converged after ${timeoutMs} ms: ${describeCensus(census)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /** Fails on a controller that exited unasked: losing the Lease makes it step down, never exit. */
  superviseControllers(): void {
    for (const controller of this.controllers) {
      if (controller.crashed()) throw new Error(`a controller crashed; see ${controller.logFile}`);
    }
  }

  /** Step-downs of all controllers after a Lease they could not renew. */
  leadershipStepDowns(): number {
    return this.controllers.reduce((sum, controller) => sum + controller.stepDowns(), 0);
  }

  async stop(): Promise<void> {
    await this.#watched?.stop();
    for (const controller of this.controllers) await controller.stop().catch(() => undefined);
    this.#pods?.stop();
    await this.#relay?.stop().catch(() => undefined);
    await this.emulator?.stop().catch(() => undefined);
    await this.etcd.stop();
    await this.plane.stop();
    if (process.env.KEEP_RESILIENCE_LOGS === undefined)
      rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** Whether ModelMesh's registry records a copy of the vmodel's active model. */
function meshHasCopy(vmodel: string | undefined, registry: ReadonlyMap<string, string>): boolean {
  try {
    const amid = (JSON.parse(vmodel ?? "{}") as { amid?: string }).amid ?? "";
    const record = JSON.parse(registry.get(amid) ?? "{}") as { instanceIds?: Record<string, unknown> };
    return Object.keys(record.instanceIds ?? {}).length > 0;
  } catch {
    return false;
  }
}

export function describeCensus(census: ModelCensus | undefined): string {
  if (census === undefined) return "no census could be taken";
  const few = (list: readonly unknown[]) =>
    `${list.length}${list.length > 0 ? ` e.g. ${JSON.stringify(list.slice(0, 3))}` : ""}`;
  return [
    `total ${census.total} ${JSON.stringify(census.byState)}`,
    `lost ${few(census.lost)}`,
    `unsettled ${few(census.unsettled)}`,
    `terminating ${few(census.terminating)}`,
    `orphan vmodels ${few(census.orphanVModels)}`,
    `missing vmodels ${few(census.missingVModels)}`,
    `orphan models ${few(census.orphanModels)}`,
    `bad vmodels ${few(census.badVModels)}`,
  ].join("; ");
}

/** For suites that write YAML documents through kubectl. */
export function yamlDocuments(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o)).join("---\n");
}
