/**
 * The runtime-validation webhook as a manager runnable: serves with the certificate in `certDir` (`tls.crt`,
 * `tls.key`, as cert-manager and the install's Secret mount them) and picks up a renewed certificate without a
 * restart. Without a certificate it logs why and stays off, so the controller also runs outside a cluster.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { createLogger } from "../controller-runtime/logging.js";
import type { Runnable } from "../controller-runtime/manager.js";
import { startWebhookServer, type WebhookServer } from "./server.js";

const log = createLogger("webhook");

export const WEBHOOK_CERT_FILE = "tls.crt";
export const WEBHOOK_KEY_FILE = "tls.key";

export interface WebhookRunnableOptions {
  certDir: string;
  port: number;
  host?: string;
  /** The live config's `builtInServerTypes`, which the runtime validator checks adapters against. */
  builtInServerTypes: () => readonly string[];
  /** How often the certificate files are compared with the served ones. */
  reloadIntervalMs?: number;
}

function readPair(certDir: string): { certPem: string; keyPem: string } | undefined {
  try {
    return {
      certPem: readFileSync(path.join(certDir, WEBHOOK_CERT_FILE), "utf8"),
      keyPem: readFileSync(path.join(certDir, WEBHOOK_KEY_FILE), "utf8"),
    };
  } catch {
    return undefined;
  }
}

export class WebhookRunnable implements Runnable {
  readonly #options: WebhookRunnableOptions;
  #server: WebhookServer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #served: { certPem: string; keyPem: string } | undefined;

  constructor(options: WebhookRunnableOptions) {
    this.#options = options;
  }

  /** The bound port, once serving. */
  get port(): number | undefined {
    return this.#server?.port;
  }

  async start(): Promise<void> {
    const { certDir, port, host, builtInServerTypes } = this.#options;
    const pair = readPair(certDir);
    if (pair === undefined) {
      log.warn(
        { certDir },
        `no ${WEBHOOK_CERT_FILE}/${WEBHOOK_KEY_FILE} in the webhook certificate directory; running without the webhook server`,
      );
      return;
    }
    this.#server = await startWebhookServer({
      ...pair,
      port,
      host,
      builtInServerTypes,
    });
    this.#served = pair;
    this.#timer = setInterval(() => this.#reload(), this.#options.reloadIntervalMs ?? 10_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#server?.close();
    this.#server = undefined;
  }

  #reload(): void {
    const pair = readPair(this.#options.certDir);
    if (pair === undefined || this.#server === undefined) return;
    if (pair.certPem === this.#served?.certPem && pair.keyPem === this.#served.keyPem) return;
    try {
      this.#server.updateCertificate(pair.certPem, pair.keyPem);
      this.#served = pair;
      log.info("webhook certificate reloaded");
    } catch (error) {
      // A half-written pair (cert renewed, key not yet) fails here; the next tick tries again.
      log.warn({ err: error }, "could not load the new webhook certificate; keeping the current one");
    }
  }
}
