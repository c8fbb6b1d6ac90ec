/**
 * The ModelMesh gRPC client: model-mesh's management calls with their deadlines, and the channel's
 * reachability.
 */
import { rootCertificates } from "node:tls";
import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  type ChannelCredentials,
  Client,
  connectivityState,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import {
  DeleteVModelRequestSchema,
  EnsureLoadedRequestSchema,
  GetStatusRequestSchema,
  GetVModelStatusRequestSchema,
  ModelMesh,
  type ModelStatusInfo,
  SetVModelRequestSchema,
  type VModelStatusInfo,
} from "../gen/mmesh/model-mesh_pb.js";
import { type EndpointSource, publishSource, RESOLVER_SCHEME } from "./endpoint-resolver.js";
import type { MeshAddress } from "./endpoint-slices.js";
import { grpcServiceDefinition } from "./service-definition.js";

/**
 * model-mesh's `LASTUSED_AGE_ON_ADD_MS`: the age it gives a model registered with `loadNow`, so that it does not
 * push out models used within that time. A load the controller asks for claims this age: it is not a use.
 */
export const LOAD_NOW_LAST_USED_AGE_MS = 3_600_000;

/** Upstream gave every management call 10 s; a call never waits longer than its deadline. */
export const DEFAULT_CALL_DEADLINE_MS = 10_000;

/**
 * grpc-js backs off reconnecting from 1 s up to 120 s, and fails calls at once meanwhile; a mesh that is back
 * must be called again within seconds, so the wait between connection attempts never grows beyond this.
 */
export const MAX_RECONNECT_BACKOFF_MS = 2_000;
const INITIAL_RECONNECT_BACKOFF_MS = 250;
/** How long one connectivity watch waits before it looks again (a finite deadline; the watch then renews). */
const CONNECTIVITY_WATCH_MS = 60_000;

/**
 * Codes with which ModelMesh itself refuses a request: their details are its own stable words. Other codes
 * (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, INTERNAL, UNKNOWN) mostly come from the transport, whose text
 * changes from one attempt to the next.
 */
const MESH_ANSWER_CODES: ReadonlySet<status> = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.FAILED_PRECONDITION,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.UNIMPLEMENTED,
  status.RESOURCE_EXHAUSTED,
]);

const SERVICE = grpcServiceDefinition(ModelMesh);

/** The PEM material of the TLS Secret named by `tls.secretName`. */
export interface MeshTlsOptions {
  /** `tls.crt`: trusted as a root (it may be self-signed) and presented as the client certificate (mTLS). */
  readonly certPem: string;
  /** `tls.key`. */
  readonly keyPem: string;
  /** `ca.crt`, when the Secret has one: trusted as a root too. */
  readonly caPem?: string;
}

/**
 * Where the pods are: a source the controller keeps current from the Service's EndpointSlices, or a fixed gRPC
 * target (config `modelMeshEndpoint`, see `dialTarget`) that grpc-js resolves itself.
 */
export type MeshAddressing = { readonly endpoints: EndpointSource } | { readonly target: string };

export type ModelMeshClientOptions = MeshAddressing & {
  /** Service fronting the ModelMesh pods, `modelmesh-serving` by default config. */
  readonly serviceName: string;
  readonly namespace: string;
  /** The Service port (8033); only used for the authority. */
  readonly port: number;
  readonly tls?: MeshTlsOptions;
  readonly defaultDeadlineMs?: number;
};

export interface CallOptions {
  readonly deadlineMs?: number;
  /** Cancels the call (ModelMesh interrupts a blocking `sync` call when its client cancels). */
  readonly signal?: AbortSignal;
}

/**
 * A failed ModelMesh call; `noEndpoints` means no ModelMesh pod is ready (upstream: "produced zero
 * addresses").
 */
export class ModelMeshCallError extends Error {
  override readonly name = "ModelMeshCallError";

  constructor(
    readonly method: string,
    readonly code: status,
    readonly details: string,
    readonly noEndpoints = false,
  ) {
    super(`ModelMesh ${method} failed (${status[code] ?? code}): ${details}`);
  }

  /**
   * The failure in words that stay the same from one attempt to the next, for Events and statuses: the mesh's own
   * refusals keep their text, transport failures only their code (the full text goes to the log).
   */
  get summary(): string {
    const code = status[this.code] ?? String(this.code);
    return MESH_ANSWER_CODES.has(this.code)
      ? `ModelMesh ${this.method} failed (${code}): ${this.details}`
      : `ModelMesh ${this.method} failed (${code})`;
  }
}

export function isNoEndpoints(error: unknown): boolean {
  return error instanceof ModelMeshCallError && error.noEndpoints;
}

/** No ready pod, or the mesh did not answer at all (connection refused or lost). */
export function isUnreachable(error: unknown): boolean {
  return error instanceof ModelMeshCallError && (error.noEndpoints || error.code === status.UNAVAILABLE);
}

function channelCredentials(tls: MeshTlsOptions | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const roots = [...rootCertificates, tls.certPem, ...(tls.caPem ? [tls.caPem] : [])].join("\n");
  return credentials.createSsl(Buffer.from(roots), Buffer.from(tls.keyPem), Buffer.from(tls.certPem));
}

/**
 * Client of `mmesh.ModelMesh` for one namespace. Calls round-robin over the ready pods of the Service; with TLS the
 * server certificate must be issued for `<service>.<namespace>`. When no pod is ready a call fails at once with
 * {@link isNoEndpoints} true instead of waiting for its deadline. A fixed target keeps the same authority, so TLS
 * checks the same name; its calls just go where grpc-js resolves it.
 */
export class ModelMeshClient {
  /** `<service>.<namespace>`: the name the mesh's certificate must carry. */
  readonly authority: string;
  private readonly client: Client;
  private readonly unpublish: () => void;
  /** Undefined for a fixed target: no address list to check before a call. */
  private readonly endpoints: EndpointSource | undefined;
  private readonly defaultDeadlineMs: number;

  constructor(options: ModelMeshClientOptions) {
    this.authority = `${options.serviceName}.${options.namespace}`;
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
    const channelOptions = {
      "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
      "grpc.initial_reconnect_backoff_ms": INITIAL_RECONNECT_BACKOFF_MS,
      "grpc.max_reconnect_backoff_ms": MAX_RECONNECT_BACKOFF_MS,
    };
    if ("target" in options) {
      this.endpoints = undefined;
      this.unpublish = () => undefined;
      this.client = new Client(options.target, channelCredentials(options.tls), {
        ...channelOptions,
        // What the resolver scheme gives the other channels: `<service>.<namespace>:<port>`, and TLS checks
        // `<service>.<namespace>` (grpc-js would check the dialled host), as upstream's WithAuthority did.
        "grpc.default_authority": `${this.authority}:${options.port}`,
        ...(options.tls && { "grpc.ssl_target_name_override": this.authority }),
      });
      return;
    }
    this.endpoints = options.endpoints;
    const published = publishSource(options.endpoints);
    this.unpublish = published.unpublish;
    this.client = new Client(
      `${RESOLVER_SCHEME}:///${this.authority}:${options.port}`,
      channelCredentials(options.tls),
      { ...published.options, ...channelOptions },
    );
  }

  setVModel(
    request: MessageInitShape<typeof SetVModelRequestSchema>,
    options?: CallOptions,
  ): Promise<VModelStatusInfo> {
    return this.unary("setVModel", create(SetVModelRequestSchema, request), options);
  }

  deleteVModel(
    request: MessageInitShape<typeof DeleteVModelRequestSchema>,
    options?: CallOptions,
  ): Promise<void> {
    return this.unary("deleteVModel", create(DeleteVModelRequestSchema, request), options).then(
      () => undefined,
    );
  }

  /** A missing vmodel is not an error: the answer has status NOT_FOUND. */
  getVModelStatus(
    request: MessageInitShape<typeof GetVModelStatusRequestSchema>,
    options?: CallOptions,
  ): Promise<VModelStatusInfo> {
    return this.unary("getVModelStatus", create(GetVModelStatusRequestSchema, request), options);
  }

  getModelStatus(
    request: MessageInitShape<typeof GetStatusRequestSchema>,
    options?: CallOptions,
  ): Promise<ModelStatusInfo> {
    return this.unary("getModelStatus", create(GetStatusRequestSchema, request), options);
  }

  /** With `sync`, ModelMesh answers once the model's load has ended (loaded or failed). */
  ensureLoaded(
    request: MessageInitShape<typeof EnsureLoadedRequestSchema>,
    options?: CallOptions,
  ): Promise<ModelStatusInfo> {
    return this.unary("ensureLoaded", create(EnsureLoadedRequestSchema, request), options);
  }

  /**
   * Keeps the channel connected and reports whether the mesh can be reached: true once a connection is up, false
   * when connecting fails; nothing in between. Returns the function that stops watching.
   */
  watchReachability(onChange: (reachable: boolean) => void): () => void {
    const channel = this.client.getChannel();
    let stopped = false;
    const look = () => {
      if (stopped) return;
      let state: connectivityState;
      try {
        // `true`: an idle channel (after a lost connection, or idle time) connects again.
        state = channel.getConnectivityState(true);
      } catch {
        return; // closed
      }
      if (state === connectivityState.READY) onChange(true);
      else if (state === connectivityState.TRANSIENT_FAILURE) onChange(false);
      if (state === connectivityState.SHUTDOWN) return;
      channel.watchConnectivityState(state, Date.now() + CONNECTIVITY_WATCH_MS, () => look());
    };
    look();
    return () => {
      stopped = true;
    };
  }

  /** In-flight calls finish; new calls fail. */
  close(): void {
    this.unpublish();
    this.client.close();
  }

  private unary<Req extends DescMessage, Res>(
    method: keyof typeof ModelMesh.method,
    request: MessageShape<Req>,
    options: CallOptions | undefined,
  ): Promise<Res> {
    const addresses: readonly MeshAddress[] | undefined = this.endpoints && (this.endpoints.current ?? []);
    if (addresses?.length === 0) {
      return Promise.reject(
        new ModelMeshCallError(
          method,
          status.UNAVAILABLE,
          `no ready endpoint of Service ${this.authority}: resolver produced zero addresses`,
          true,
        ),
      );
    }
    const definition = SERVICE[method];
    if (!definition) return Promise.reject(new Error(`unknown ModelMesh method ${method}`));
    const deadline = Date.now() + (options?.deadlineMs ?? this.defaultDeadlineMs);
    const signal = options?.signal;
    if (signal?.aborted) {
      return Promise.reject(new ModelMeshCallError(method, status.CANCELLED, "cancelled before it was sent"));
    }
    return new Promise<Res>((resolve, reject) => {
      let call: { cancel(): void } | undefined;
      const cancel = () => call?.cancel();
      call = this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize as (bytes: Buffer) => Res,
        request,
        new Metadata(),
        { deadline },
        (error: ServiceError | null, response?: Res) => {
          signal?.removeEventListener("abort", cancel);
          if (error) reject(new ModelMeshCallError(method, error.code, error.details || error.message));
          else if (response === undefined)
            reject(new ModelMeshCallError(method, status.INTERNAL, "empty response"));
          else resolve(response);
        },
      );
      signal?.addEventListener("abort", cancel, { once: true });
    });
  }
}
