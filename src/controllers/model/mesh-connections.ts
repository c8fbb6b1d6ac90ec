/**
 * Per served namespace, what the model controller needs to talk to and hear from that namespace's ModelMesh: a
 * gRPC client fed with the ready addresses of the Service's EndpointSlices (TLS per `tls.secretName`, a Secret
 * of the controller namespace) and a watcher of the namespace's registry in ModelMesh's etcd (connection from the
 * etcd Secret of the controller namespace). Connections open and close as namespaces start and stop being
 * served, and are rebuilt when the Service name, port, TLS Secret, `modelMeshEndpoint` or etcd Secret change
 * (decision 0071). A set `modelMeshEndpoint` replaces the EndpointSlice addresses of every namespace (0130).
 */

import { createHash } from "node:crypto";
import type { V1EndpointSlice, V1Secret } from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import { ENDPOINT_SLICES } from "../../apis/resource-types.js";
import { OBJECTS, PORT_NAMES } from "../../builders/constants.js";
import type { ServingConfig } from "../../config/serving-config.js";
import { Broadcast } from "../../controller-runtime/broadcast.js";
import type { ChangeSource } from "../../controller-runtime/controller.js";
import type { Informer } from "../../controller-runtime/informer.js";
import { createLogger, type Logger } from "../../controller-runtime/logging.js";
import { byNamespace, NAMESPACE_INDEX } from "../../controller-runtime/store.js";
import { fail, ok, type Result } from "../../lib/result.js";
import {
  LOAD_NOW_LAST_USED_AGE_MS,
  type MeshTlsOptions,
  ModelMeshClient,
} from "../../modelmesh-client/grpc/client.js";
import { dialTarget } from "../../modelmesh-client/grpc/dial-target.js";
import { EndpointSource } from "../../modelmesh-client/grpc/endpoint-resolver.js";
import { readyAddresses, SERVICE_NAME_LABEL } from "../../modelmesh-client/grpc/endpoint-slices.js";
import {
  etcdConnectionFromSecret,
  meshServicePrefix,
} from "../../modelmesh-client/registry/etcd-connection.js";
import {
  type ModelEventKey,
  RegistryWatcher,
  VMODELS_TABLE,
  vmodelEventKey,
} from "../../modelmesh-client/registry/registry-watcher.js";
import { type NamedSecrets, namedSecrets } from "../caches/named-secrets.js";
import { scopedInformer } from "../caches/scoped-informer.js";
import type { ControllerContext } from "../context/context.js";
import { CONTROLLER_NAMES } from "../names.js";
import { LoadCompletion } from "./load-completion.js";
import { MESSAGES, meshEndpointUnreachable } from "./status.js";

const TLS_CERT_KEY = "tls.crt";
const TLS_KEY_KEY = "tls.key";
/** How long a reconcile waits for the EndpointSlice cache after the Service name changed. */
const SLICE_SYNC_TIMEOUT_MS = 60_000;

/** The settings a connection is built from; any change rebuilds every connection. */
interface ConnectionSettings {
  readonly serviceName: string;
  readonly port: number;
  readonly tlsSecretName: string;
  /** `modelMeshEndpoint`: dialled instead of the EndpointSlice addresses when not empty. */
  readonly endpointOverride: string;
}

function settingsOf(config: ServingConfig): ConnectionSettings {
  return {
    serviceName: config.inferenceServiceName,
    port: config.inferenceServicePort,
    tlsSecretName: config.tls.secretName,
    endpointOverride: config.modelMeshEndpoint,
  };
}

function sameSettings(a: ConnectionSettings, b: ConnectionSettings): boolean {
  return (
    a.serviceName === b.serviceName &&
    a.port === b.port &&
    a.tlsSecretName === b.tlsSecretName &&
    a.endpointOverride === b.endpointOverride
  );
}

/** Detects a changed Secret without keeping or logging its values. */
function fingerprint(secret: V1Secret | undefined): string {
  if (secret === undefined) return "absent";
  return createHash("sha256")
    .update(JSON.stringify(Object.entries(secret.data ?? {}).sort()))
    .digest("hex");
}

function decoded(secret: V1Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
}

export interface MeshConnection {
  readonly namespace: string;
  /** Undefined when the client cannot be built; `problem` says why. */
  readonly client: ModelMeshClient | undefined;
  readonly problem: string | undefined;
  /** Whether registry events arrive for this namespace (the etcd Secret is usable). */
  readonly watchingRegistry: boolean;
  /** Follows this mesh's loading models until their loads end; undefined without a client. */
  readonly loads: LoadCompletion | undefined;
  /**
   * Counts the times the mesh came back (reachable again, or a pod became ready that was not): its instances may
   * have restarted and dropped their copies, so a model seen loaded before is asked to load again.
   */
  readonly epoch: number;
  /** Why the mesh cannot be called now, or undefined when it can. */
  unreachable(): string | undefined;
}

/** What the connections report to the model controller. */
export type MeshEvent =
  /** A vmodel or registry record of a served namespace changed (or was found on a (re)sync). */
  | { readonly kind: "model"; readonly key: ModelEventKey }
  /** A namespace's connection opened, changed, or its mesh became unreachable or reachable: its models need a look. */
  | { readonly kind: "namespace"; readonly namespace: string }
  /** A loading model's load ended (`ended`), or it needs another look: reconcile it by its key. */
  | { readonly kind: "load-ended"; readonly key: string; readonly ended: boolean };

/**
 * An outage is shown in the statuses once it has lasted this long: a blip (a rolling restart of one of the
 * Service's endpoints, a reconnect) costs no status writes, a real outage shows within a few seconds.
 */
export const OUTAGE_GRACE_MS = 2_000;

/**
 * Blocking load waits held per ready mesh pod (each holds one of its request threads; a pod loads one or two
 * models at a time), at least {@link MIN_LOAD_WAITERS} (the pods behind one address, or behind
 * `modelMeshEndpoint`, are not counted) and at most {@link MAX_LOAD_WAITERS} per mesh.
 */
const LOAD_WAITERS_PER_POD = 4;
const MIN_LOAD_WAITERS = 8;
const MAX_LOAD_WAITERS = 64;
/** A blocking load wait gives up after this and the model is looked at again by backoff. */
const LOAD_WAIT_DEADLINE_MS = 300_000;

class Connection implements MeshConnection {
  readonly endpoints = new EndpointSource();
  client: ModelMeshClient | undefined;
  problem: string | undefined;
  watcher: RegistryWatcher | undefined;
  servicePrefix: string | undefined;
  loads: LoadCompletion | undefined;
  /** False once connecting to the mesh failed, true again once a connection is up. */
  channelUp = true;
  /** What `unreachable()` said last, to report changes once. */
  reportedUnreachable: string | undefined;
  stopWatchingChannel: (() => void) | undefined;
  /** Pending while an outage has not lasted {@link OUTAGE_GRACE_MS} yet. */
  outageTimer: NodeJS.Timeout | undefined;

  /** `endpointOverride`: the client dials `modelMeshEndpoint` instead of the EndpointSlice addresses. */
  constructor(
    readonly namespace: string,
    readonly endpointOverride: string,
    public epoch: number,
  ) {}

  get watchingRegistry(): boolean {
    return this.watcher !== undefined;
  }

  unreachable(): string | undefined {
    if (this.endpointOverride !== "") {
      return this.channelUp ? undefined : meshEndpointUnreachable(this.endpointOverride);
    }
    if ((this.endpoints.current?.length ?? 0) === 0) return MESSAGES.waitingForRuntimePod;
    return this.channelUp ? undefined : MESSAGES.meshNotAnswering;
  }

  maxLoadWaiters(): number {
    const pods = this.endpointOverride !== "" ? 0 : (this.endpoints.current?.length ?? 0);
    return Math.min(MAX_LOAD_WAITERS, Math.max(MIN_LOAD_WAITERS, LOAD_WAITERS_PER_POD * pods));
  }
}

interface EtcdState {
  readonly client: Etcd3;
  readonly rootPrefix: string;
}

export class MeshConnections {
  readonly #ctx: ControllerContext;
  readonly #log: Logger = createLogger(`${CONTROLLER_NAMES.model.logger}.mesh`);
  readonly #events = new Broadcast<MeshEvent>(this.#log, "mesh event", (event) => ({ ...event }));
  /** The events of every connection, in the order they happen. */
  readonly events: ChangeSource<MeshEvent> = this.#events;
  readonly #secrets: NamedSecrets;
  readonly #connections = new Map<string, Connection>();
  readonly #sliceInformersWithHandler = new Set<Informer<V1EndpointSlice>>();
  #slices: Informer<V1EndpointSlice>;
  #settings: ConnectionSettings;
  #etcdSecretName: string;
  #etcdFingerprint = "";
  #tlsFingerprint = "";
  #etcd: EtcdState | undefined;
  #started = false;
  /**
   * The last epoch handed out, for all namespaces and across rebuilt connections: it only grows, so a model seen
   * loaded under an older epoch is never mistaken for one seen since.
   */
  #lastEpoch = 0;

  /** Declares the caches it reads; call before the manager starts. */
  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#settings = settingsOf(ctx.config.current());
    this.#etcdSecretName = ctx.etcdSecretName();
    this.#slices = this.#sliceInformer(this.#settings.serviceName);
    // The etcd and TLS Secrets of the controller namespace, by their configured names.
    this.#secrets = namedSecrets(ctx);
    this.#secrets.want(() => [
      { namespace: ctx.controllerNamespace, name: ctx.etcdSecretName() },
      { namespace: ctx.controllerNamespace, name: ctx.config.current().tls.secretName },
    ]);
    this.#secrets.addEventHandler({
      onAdd: (secret) => this.#onSecret(secret),
      onUpdate: (_old, secret) => this.#onSecret(secret),
      onDelete: (secret) => this.#onSecret(secret),
    });
    ctx.servedNamespaces.onChange(({ namespace, served }) => {
      if (!this.#started) return;
      if (served) this.#open(namespace);
      else this.#close(namespace);
    });
    ctx.config.onChange((config) => {
      if (this.#started) this.#onConfig(config);
    });
  }

  #emit(event: MeshEvent): void {
    this.#events.emit(event);
  }

  /** Opens a connection for every served namespace; called when the controller starts reconciling. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#refreshEtcd();
    this.#tlsFingerprint = fingerprint(this.#tlsSecret());
    for (const namespace of this.#ctx.servedNamespaces.list()) this.#open(namespace);
  }

  async stop(): Promise<void> {
    this.#started = false;
    const closing = [...this.#connections.keys()].map((namespace) => this.#close(namespace));
    await Promise.all(closing);
    this.#etcd?.client.close();
    this.#etcd = undefined;
    // A leader that stepped down starts again in the same process: its next start must reconnect to etcd.
    this.#etcdFingerprint = "";
  }

  /** The namespace's connection once its EndpointSlice cache is synced; undefined when it is not served. */
  async get(namespace: string): Promise<MeshConnection | undefined> {
    const connection = this.#connections.get(namespace);
    if (connection === undefined) return undefined;
    if (!this.#slices.hasSynced()) await this.#slices.waitForSync(SLICE_SYNC_TIMEOUT_MS);
    return this.#connections.get(namespace);
  }

  #sliceInformer(serviceName: string): Informer<V1EndpointSlice> {
    const informer = scopedInformer<V1EndpointSlice>(this.#ctx, ENDPOINT_SLICES, {
      labelSelector: `${SERVICE_NAME_LABEL}=${serviceName}`,
      indexers: { [NAMESPACE_INDEX]: byNamespace },
    });
    if (!this.#sliceInformersWithHandler.has(informer)) {
      this.#sliceInformersWithHandler.add(informer);
      const onSlice = (slice: V1EndpointSlice) => {
        if (informer !== this.#slices) return;
        const connection = this.#connections.get(slice.metadata?.namespace ?? "");
        if (connection !== undefined) this.#refreshAddresses(connection);
      };
      informer.addEventHandler({
        onAdd: onSlice,
        onUpdate: (_old, slice) => onSlice(slice),
        onDelete: onSlice,
      });
    }
    return informer;
  }

  #refreshAddresses(connection: Connection): void {
    const before = connection.endpoints.current ?? [];
    const slices = this.#slices.store.byIndex(NAMESPACE_INDEX, connection.namespace);
    connection.endpoints.set(readyAddresses(slices, PORT_NAMES.grpc));
    const after = connection.endpoints.current ?? [];
    const known = new Set(before.map((a) => `${a.host}:${a.port}`));
    const gained = after.some((a) => !known.has(`${a.host}:${a.port}`));
    // A pod that became ready may be one that restarted and lost its copies.
    this.#reachabilityChanged(connection, gained);
  }

  /**
   * Reports a change of whether the mesh can be called: its models get a look either way (an outage shows in
   * their statuses, a return reloads what it dropped). `cameBack`: a pod became ready while others were.
   */
  #reachabilityChanged(connection: Connection, cameBack = false): void {
    if (this.#connections.get(connection.namespace) !== connection) return;
    const now = connection.unreachable();
    const before = connection.reportedUnreachable;
    connection.reportedUnreachable = now;
    const { namespace } = connection;
    if (now !== undefined) {
      if (before === undefined) {
        this.#log.warn({ namespace, problem: now }, "ModelMesh of the namespace is not reachable");
        connection.outageTimer = setTimeout(() => {
          connection.outageTimer = undefined;
          if (connection.unreachable() !== undefined) this.#emit({ kind: "namespace", namespace });
        }, OUTAGE_GRACE_MS);
      }
      return;
    }
    clearTimeout(connection.outageTimer);
    connection.outageTimer = undefined;
    if (before === undefined && !cameBack) return;
    connection.epoch = ++this.#lastEpoch;
    this.#log.info({ namespace, epoch: connection.epoch }, "ModelMesh of the namespace is reachable");
    this.#emit({ kind: "namespace", namespace });
    void this.#sweepVModels(connection);
  }

  #open(namespace: string): void {
    if (this.#connections.has(namespace)) return;
    const override = this.#settings.endpointOverride;
    const connection = new Connection(namespace, override, this.#lastEpoch);
    this.#connections.set(namespace, connection);
    const tls = this.#tlsOptions();
    this.#connect(connection, tls, override === "" ? undefined : dialTarget(override));
    const client = connection.client;
    if (client !== undefined) this.#follow(connection, client);
    this.#startWatcher(connection);
    if (this.#slices.hasSynced()) {
      const slices = this.#slices.store.byIndex(NAMESPACE_INDEX, namespace);
      connection.endpoints.set(readyAddresses(slices, PORT_NAMES.grpc));
    }
    connection.reportedUnreachable = connection.unreachable();
    this.#log.info(
      {
        namespace,
        service: this.#settings.serviceName,
        tls: !tls.ok || tls.value !== undefined,
        ...(override !== "" && { modelMeshEndpoint: override }),
        problem: connection.problem,
      },
      "ModelMesh connection opened",
    );
    this.#emit({ kind: "namespace", namespace });
  }

  /** The connection's gRPC client, or the problem that keeps it from having one. */
  #connect(
    connection: Connection,
    tls: Result<MeshTlsOptions | undefined>,
    target: Result<string> | undefined,
  ): void {
    if (!tls.ok) {
      connection.problem = tls.error;
      return;
    }
    if (target?.ok === false) {
      connection.problem = target.error;
      return;
    }
    try {
      connection.client = new ModelMeshClient({
        serviceName: this.#settings.serviceName,
        namespace: connection.namespace,
        port: this.#settings.port,
        ...(target === undefined ? { endpoints: connection.endpoints } : { target: target.value }),
        ...(tls.value !== undefined && { tls: tls.value }),
      });
    } catch (error) {
      // Unusable PEM material (bad base64, a key that does not match): reported, never thrown.
      connection.problem = `TLS Secret '${this.#settings.tlsSecretName}' (config tls.secretName) holds unusable certificate or key data: ${(error as Error).message}`;
    }
  }

  /** Asks when each load ends, and hears when the mesh becomes reachable or unreachable. */
  #follow(connection: Connection, client: ModelMeshClient): void {
    connection.loads = new LoadCompletion({
      waitForLoad: (modelId, signal) =>
        client.ensureLoaded(
          { modelId, sync: true, lastUsedTime: BigInt(Date.now() - LOAD_NOW_LAST_USED_AGE_MS) },
          { deadlineMs: LOAD_WAIT_DEADLINE_MS, signal },
        ),
      enqueue: (key, ended) => this.#emit({ kind: "load-ended", key, ended }),
      maxWaiters: () => connection.maxLoadWaiters(),
      log: this.#log.child({ namespace: connection.namespace }),
    });
    connection.stopWatchingChannel = client.watchReachability((up) => {
      if (connection.channelUp === up) return;
      connection.channelUp = up;
      this.#reachabilityChanged(connection);
    });
  }

  async #close(namespace: string): Promise<void> {
    const connection = this.#connections.get(namespace);
    if (connection === undefined) return;
    this.#connections.delete(namespace);
    connection.stopWatchingChannel?.();
    clearTimeout(connection.outageTimer);
    connection.loads?.stop();
    connection.client?.close();
    const watcher = connection.watcher;
    connection.watcher = undefined;
    await watcher?.stop();
    this.#log.info({ namespace }, "ModelMesh connection closed");
  }

  #startWatcher(connection: Connection): void {
    if (this.#etcd === undefined) return;
    const servicePrefix = meshServicePrefix(
      this.#etcd.rootPrefix,
      this.#ctx.controllerNamespace,
      connection.namespace,
      this.#settings.serviceName,
    );
    connection.servicePrefix = servicePrefix;
    connection.watcher = new RegistryWatcher({
      client: this.#etcd.client,
      servicePrefix,
      namespace: connection.namespace,
      onEvent: (key) => this.#emit({ kind: "model", key }),
      // Calls that failed while ModelMesh's etcd was away would otherwise wait out their backoff.
      onResynced: () => {
        this.#log.info(
          { namespace: connection.namespace },
          "ModelMesh registry read again after an interruption; looking at the namespace's models",
        );
        this.#emit({ kind: "namespace", namespace: connection.namespace });
      },
    });
  }

  /** Every vmodel of the namespace's registry, reported as an event: deleted resources' vmodels get removed. */
  async #sweepVModels(connection: Connection): Promise<void> {
    const etcd = this.#etcd;
    if (etcd === undefined || connection.servicePrefix === undefined) return;
    const prefix = `${connection.servicePrefix}/${VMODELS_TABLE}`;
    try {
      const records = await etcd.client.getAll().prefix(prefix).strings();
      for (const [key, value] of Object.entries(records)) {
        const event = vmodelEventKey(connection.namespace, key.slice(prefix.length), value);
        if (event.ok) this.#emit({ kind: "model", key: event.value });
      }
    } catch (error) {
      this.#log.warn(
        { namespace: connection.namespace, err: error },
        "could not list the namespace's vmodels",
      );
    }
  }

  /** Rebuilds every connection (new Service name, port, endpoint override or TLS material). */
  async #reopenAll(): Promise<void> {
    const namespaces = [...this.#connections.keys()];
    await Promise.all(namespaces.map((namespace) => this.#close(namespace)));
    for (const namespace of namespaces) {
      if (this.#ctx.servedNamespaces.isServed(namespace)) this.#open(namespace);
    }
  }

  #onConfig(config: ServingConfig): void {
    const next = settingsOf(config);
    const secretName = this.#ctx.etcdSecretName();
    if (secretName !== this.#etcdSecretName) {
      this.#etcdSecretName = secretName;
      this.#refreshEtcd();
    }
    if (!sameSettings(next, this.#settings)) {
      const serviceChanged = next.serviceName !== this.#settings.serviceName;
      this.#settings = next;
      this.#tlsFingerprint = fingerprint(this.#tlsSecret());
      if (serviceChanged) {
        const previous = this.#slices;
        this.#slices = this.#sliceInformer(next.serviceName);
        this.#slices.start();
        if (previous !== this.#slices) void previous.stop();
      }
      void this.#reopenAll();
      return;
    }
    // Inference endpoints in the statuses follow the REST proxy and TLS settings.
    for (const namespace of this.#connections.keys()) this.#emit({ kind: "namespace", namespace });
  }

  #onSecret(secret: V1Secret): void {
    if (!this.#started) return;
    const name = secret.metadata?.name;
    if (name === this.#etcdSecretName) this.#refreshEtcd();
    if (name === this.#settings.tlsSecretName && this.#settings.tlsSecretName !== "") {
      const next = fingerprint(this.#tlsSecret());
      if (next !== this.#tlsFingerprint) {
        this.#tlsFingerprint = next;
        this.#log.info({ secret: name }, "TLS Secret changed; reconnecting to ModelMesh");
        void this.#reopenAll();
      }
    }
  }

  #tlsSecret(): V1Secret | undefined {
    const name = this.#settings.tlsSecretName;
    return name === "" ? undefined : this.#secrets.peek(this.#ctx.controllerNamespace, name);
  }

  /** TLS options, undefined for plaintext, or why they cannot be built. */
  #tlsOptions(): Result<MeshTlsOptions | undefined> {
    const name = this.#settings.tlsSecretName;
    if (name === "") return ok(undefined);
    const secret = this.#tlsSecret();
    if (secret === undefined) {
      return fail(
        `TLS Secret '${name}' (config tls.secretName) was not found in namespace ${this.#ctx.controllerNamespace}`,
      );
    }
    const certPem = decoded(secret, TLS_CERT_KEY);
    const keyPem = decoded(secret, TLS_KEY_KEY);
    if (certPem === undefined || keyPem === undefined) {
      return fail(`TLS Secret '${name}' must hold both ${TLS_CERT_KEY} and ${TLS_KEY_KEY}`);
    }
    const caPem = decoded(secret, OBJECTS.tlsCaKey);
    return ok({ certPem, keyPem, ...(caPem !== undefined && { caPem }) });
  }

  /** Reconnects to etcd when its Secret changed, restarting every registry watcher. */
  #refreshEtcd(): void {
    const name = this.#etcdSecretName;
    const secret = this.#secrets.peek(this.#ctx.controllerNamespace, name);
    const next = `${name}|${fingerprint(secret)}`;
    if (next === this.#etcdFingerprint) return;
    this.#etcdFingerprint = next;
    for (const connection of this.#connections.values()) {
      void connection.watcher?.stop();
      connection.watcher = undefined;
      connection.servicePrefix = undefined;
    }
    this.#etcd?.client.close();
    this.#etcd = undefined;
    const parsed = secret === undefined ? fail("not found") : etcdConnectionFromSecret(secret.data, name);
    if (!parsed.ok) {
      this.#log.error(
        { secret: name, namespace: this.#ctx.controllerNamespace, problem: parsed.error },
        `Unable to access etcd secret with name '${name}'; model states update only on Kubernetes events`,
      );
      return;
    }
    this.#etcd = { client: new Etcd3(parsed.value.options), rootPrefix: parsed.value.rootPrefix };
    for (const connection of this.#connections.values()) this.#startWatcher(connection);
  }
}
