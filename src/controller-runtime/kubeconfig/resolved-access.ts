/**
 * One API server and the credentials to reach it, resolved from a kubeconfig or the pod's service account.
 */
import { readFileSync } from "node:fs";
import type https from "node:https";
import type { ClusterAccess } from "../cluster-access.js";

/** How this process checks the API server's certificate. */
export interface ServerTls {
  /** PEM roots; the system's when absent. */
  ca?: Buffer | undefined;
  servername?: string | undefined;
  insecureSkipVerify?: boolean | undefined;
}

/** What a request proves its identity with; a source may change them over time (rotated tokens, plugins). */
export interface Credentials {
  token?: string | undefined;
  basic?: { username: string; password: string } | undefined;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
}

export type CredentialSource = () => Credentials | Promise<Credentials>;

/**
 * One API server and how to authenticate to it, as resolved from a kubeconfig or the pod's service account.
 */
export class ResolvedClusterAccess implements ClusterAccess {
  readonly server: string;
  readonly #tls: ServerTls;
  readonly #credentials: CredentialSource;

  constructor(server: string, tls: ServerTls, credentials: CredentialSource) {
    this.server = server;
    this.#tls = tls;
    this.#credentials = credentials;
  }

  getCurrentCluster(): { readonly server: string } {
    return { server: this.server };
  }

  async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    const credentials = await this.#credentials();
    if (this.#tls.ca) options.ca = this.#tls.ca;
    if (this.#tls.servername) options.servername = this.#tls.servername;
    if (this.#tls.insecureSkipVerify) options.rejectUnauthorized = false;
    if (credentials.cert) options.cert = credentials.cert;
    if (credentials.key) options.key = credentials.key;
    if (credentials.token) {
      const headers = options.headers && !Array.isArray(options.headers) ? options.headers : {};
      options.headers = { ...headers, authorization: `Bearer ${credentials.token}` };
    }
    if (credentials.basic) options.auth = `${credentials.basic.username}:${credentials.basic.password}`;
  }
}

/** client-go re-reads token files once a minute: projected service account tokens rotate. */
export const TOKEN_FILE_REREAD_MS = 60_000;

/** A bearer token read from a file and re-read periodically; a failed re-read keeps the last good token. */
export class FileToken {
  readonly path: string;
  readonly #now: () => number;
  #token: string;
  #readAt: number;

  /** Reads the file now: a missing or empty token file is an error at load time. */
  constructor(path: string, now: () => number = Date.now) {
    this.path = path;
    this.#now = now;
    this.#token = readToken(path);
    this.#readAt = now();
  }

  current(): string {
    const now = this.#now();
    if (now - this.#readAt < TOKEN_FILE_REREAD_MS) return this.#token;
    this.#readAt = now;
    try {
      this.#token = readToken(this.path);
    } catch {
      // As client-go: keep using the last token; the API server says when it is no longer valid.
    }
    return this.#token;
  }
}

function readToken(path: string): string {
  const token = readFileSync(path, "utf8").trim();
  if (token.length === 0) throw new Error(`token file ${path} is empty`);
  return token;
}
