/** A small REST client for the API server on Node's HTTP stack: reads, writes, apply, merge patch, watch. */
import http from "node:http";
import https from "node:https";
import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import type { ResourceType } from "../apis/resource-types.js";
import type { ClusterAccess } from "./cluster-access.js";
import { defaultMetrics, type RuntimeMetrics } from "./metrics.js";

export interface ObjectLocation {
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}

export function resourcePath(type: ResourceType, location: ObjectLocation = {}): string {
  const root = type.apiVersion.includes("/") ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const scope =
    type.namespaced && location.namespace ? `/namespaces/${encodeURIComponent(location.namespace)}` : "";
  const name = location.name ? `/${encodeURIComponent(location.name)}` : "";
  const subresource = location.name && location.subresource ? `/${location.subresource}` : "";
  return `${root}${scope}/${type.plural}${name}${subresource}`;
}

/** A non-2xx answer of the API server, with its `Status` reason when it sent one. */
export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export function isStatus(error: unknown, statusCode: number): boolean {
  return error instanceof KubeApiError && error.statusCode === statusCode;
}

export interface KubeRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  resourceVersion?: string | undefined;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubernetesObject & { code?: number; reason?: string; message?: string };
}

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  subresource?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A small REST client on Node's own HTTP stack: reuses connections, streams watches line by line and counts
 * every request in `rest_client_requests_total{code,method,host}` as client-go does.
 */
export class KubeClient {
  readonly #access: ClusterAccess;
  readonly #metrics: RuntimeMetrics;
  readonly #server: URL;
  /** The connection pool and the TLS material it was built with (credential plugins may hand out new certificates). */
  #pool: { readonly agent: http.Agent; readonly tls: readonly unknown[] } | undefined;

  constructor(access: ClusterAccess, metrics: RuntimeMetrics = defaultMetrics()) {
    const cluster = access.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster; set a current context");
    this.#access = access;
    this.#metrics = metrics;
    this.#server = new URL(cluster.server);
  }

  /** Sends one request and returns the decoded JSON answer; throws `KubeApiError` on a non-2xx status. */
  async request<T>(req: KubeRequest): Promise<T> {
    const response = await this.#send(req);
    const text = await readBody(response);
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw apiError(status, text);
    return (text.length > 0 ? JSON.parse(text) : undefined) as T;
  }

  /** The object, or `undefined` when it does not exist. */
  async get<T extends KubernetesObject>(
    type: ResourceType,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    try {
      return await this.request<T>({ method: "GET", path: resourcePath(type, { namespace, name }) });
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async list<T extends KubernetesObject>(
    type: ResourceType,
    options: ListOptions = {},
  ): Promise<KubernetesListObject<T>> {
    const list = await this.request<KubernetesListObject<T> & { metadata?: { continue?: string } }>({
      method: "GET",
      path: resourcePath(type, { namespace: options.namespace }),
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
      },
    });
    // The wire calls the page token `continue`; client-node's list type (which callers use) calls it `_continue`.
    if (list.metadata?.continue !== undefined) {
      list.metadata._continue = list.metadata.continue;
      delete list.metadata.continue;
    }
    return list;
  }

  create<T extends KubernetesObject>(type: ResourceType, object: T, fieldManager?: string): Promise<T> {
    return this.request({
      method: "POST",
      path: resourcePath(type, { namespace: object.metadata?.namespace }),
      query: { fieldManager },
      body: object,
    });
  }

  /** Replaces the object; its `metadata.resourceVersion` makes this a compare-and-swap (409 on conflict). */
  replace<T extends KubernetesObject>(type: ResourceType, object: T, subresource?: string): Promise<T> {
    return this.request({
      method: "PUT",
      path: resourcePath(type, {
        namespace: object.metadata?.namespace,
        name: object.metadata?.name,
        subresource,
      }),
      body: object,
    });
  }

  /** Server-side apply of the fields in `object`, owned by `fieldManager`. */
  apply<T extends KubernetesObject>(type: ResourceType, object: T, options: ApplyOptions): Promise<T> {
    return this.request({
      method: "PATCH",
      path: resourcePath(type, {
        namespace: object.metadata?.namespace,
        name: object.metadata?.name,
        subresource: options.subresource,
      }),
      query: { fieldManager: options.fieldManager, force: options.force ? true : undefined },
      body: object,
      contentType: "application/apply-patch+yaml",
    });
  }

  mergePatch<T extends KubernetesObject>(
    type: ResourceType,
    location: ObjectLocation,
    patch: unknown,
  ): Promise<T> {
    return this.request({
      method: "PATCH",
      path: resourcePath(type, location),
      body: patch,
      contentType: "application/merge-patch+json",
    });
  }

  /** Deletes the object; `false` when it was already gone. */
  async delete(type: ResourceType, name: string, namespace?: string): Promise<boolean> {
    try {
      await this.request({
        method: "DELETE",
        path: resourcePath(type, { namespace, name }),
        body: { propagationPolicy: "Background" },
      });
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  /**
   * Streams watch events until the server ends the watch (resolves), the signal aborts (resolves) or the
   * connection fails (rejects). A non-200 answer rejects with `KubeApiError`, for example 410 Gone.
   */
  async watch(
    type: ResourceType,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const timeoutSeconds = options.timeoutSeconds ?? 300;
    const response = await this.#send({
      method: "GET",
      path: resourcePath(type, { namespace: options.namespace }),
      query: {
        watch: true,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: options.allowWatchBookmarks,
        timeoutSeconds,
      },
      signal,
      // The server closes the watch after timeoutSeconds; silence well beyond that means a dead connection.
      timeoutMs: (timeoutSeconds + 30) * 1000,
    });
    const status = response.statusCode ?? 0;
    if (status !== 200) throw apiError(status, await readBody(response));
    await new Promise<void>((resolve, reject) => {
      let pending = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        pending += chunk;
        let newline = pending.indexOf("\n");
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line.trim().length > 0) onEvent(JSON.parse(line) as WatchEvent);
          newline = pending.indexOf("\n");
        }
      });
      response.on("end", () => resolve());
      response.on("error", (error) => (signal.aborted ? resolve() : reject(error)));
      response.on("close", () => (signal.aborted ? resolve() : reject(new Error("watch connection closed"))));
    });
  }

  async #send(req: KubeRequest): Promise<http.IncomingMessage> {
    const options: https.RequestOptions = {};
    await this.#access.applyToHTTPSOptions(options);
    const tls = tlsMaterial(options);
    if (this.#pool === undefined || !sameTlsMaterial(tls, this.#pool.tls)) {
      // Requests in flight finish on the previous agent.
      this.#pool = { agent: this.#createAgent(options), tls };
    }
    const { agent } = this.#pool;
    const url = new URL(this.#server.href.replace(/\/$/, "") + req.path);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: http.OutgoingHttpHeaders = { accept: "application/json" };
    if (options.headers && !Array.isArray(options.headers)) Object.assign(headers, options.headers);
    if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
    if (body) {
      headers["content-type"] = req.contentType ?? "application/json";
      headers["content-length"] = body.length;
    }
    const transport = url.protocol === "https:" ? https : http;
    const host = this.#server.host;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, {
        method: req.method,
        headers,
        agent,
        signal: req.signal,
      });
      request.setTimeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS, () =>
        request.destroy(new Error(`${req.method} ${req.path} timed out`)),
      );
      request.on("response", (response) => {
        this.#metrics.restClientRequests.inc({ code: String(response.statusCode), method: req.method, host });
        resolve(response);
      });
      request.on("error", (error) => {
        // A request this process cancelled is no failure of the API server.
        if (!req.signal?.aborted)
          this.#metrics.restClientRequests.inc({ code: "<error>", method: req.method, host });
        reject(error);
      });
      request.end(body);
    });
  }

  #createAgent(options: https.RequestOptions): http.Agent {
    if (this.#server.protocol !== "https:") return new http.Agent({ keepAlive: true });
    return new https.Agent({
      keepAlive: true,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      servername: options.servername,
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
    });
  }
}

function tlsMaterial(options: https.RequestOptions): readonly unknown[] {
  return [options.ca, options.cert, options.key, options.servername, options.rejectUnauthorized];
}

/** Same values: usually the very same Buffers, so most requests compare no bytes at all. */
export function sameTlsMaterial(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.every((value, i) => {
    const other = b[i];
    if (value === other) return true;
    if (Buffer.isBuffer(value) && Buffer.isBuffer(other)) return value.equals(other);
    return String(value) === String(other);
  });
}

function readBody(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.on("error", reject);
  });
}

function apiError(statusCode: number, text: string): KubeApiError {
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(statusCode, status.reason ?? "", status.message ?? `HTTP ${statusCode}`);
  } catch {
    return new KubeApiError(statusCode, "", text.slice(0, 200) || `HTTP ${statusCode}`);
  }
}
