/** The admission webhook server: validates ServingRuntimes and ClusterServingRuntimes over HTTPS. */
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { admitServingRuntime } from "../builders/runtime-validator.js";
import { createLogger } from "../controller-runtime/logging.js";
import { isRecord } from "../lib/is-record.js";
import { fail, ok, type Result } from "../lib/result.js";

/** Path the ValidatingWebhookConfiguration points at (kept from upstream so existing configurations work). */
export const VALIDATE_SERVING_RUNTIME_PATH = "/validate-serving-modelmesh-io-v1alpha1-servingruntime";

/** The API server sends at most a few MiB; anything larger is not an AdmissionReview. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

const log = createLogger("webhook.ServingRuntime");

export interface WebhookServerOptions {
  certPem: string;
  keyPem: string;
  /** 0 picks a free port (see the handle's `port`). */
  port: number;
  /** Defaults to all interfaces. */
  host?: string;
  /** Current `builtInServerTypes` of the user configuration; read on every request so reloads apply. */
  builtInServerTypes: () => readonly string[];
}

export interface WebhookServer {
  readonly port: number;
  /**
   * Swaps the serving certificate (for example after cert-manager renews it) without dropping the listener.
   */
  updateCertificate(certPem: string, keyPem: string): void;
  close(): Promise<void>;
}

interface AdmissionStatus {
  code: number;
  message: string;
  reason?: string;
}

function reviewResponse(uid: string, allowed: boolean, status: AdmissionStatus) {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid, allowed, status } };
}

function send(response: ServerResponse, httpStatus: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(httpStatus, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** What a well-formed AdmissionReview request gives the decision; a string explains why it is not one. */
interface DecodedReview {
  uid: string;
  kind: string;
  name: string;
  object: unknown;
}

function decodeReview(body: string): Result<DecodedReview> {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch (error) {
    return fail(`request body is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(review) || !isRecord(review.request))
    return fail("request body is not an AdmissionReview with a request");
  const { request } = review;
  if (typeof request.uid !== "string" || request.uid === "")
    return fail("AdmissionReview request has no uid");
  const kind = isRecord(request.kind) && typeof request.kind.kind === "string" ? request.kind.kind : "";
  const name = typeof request.name === "string" ? request.name : "";
  return ok({ uid: request.uid, kind, name, object: request.object });
}

export function admissionDecisionFor(body: string, builtInServerTypes: readonly string[]) {
  const decoded = decodeReview(body);
  if (!decoded.ok) {
    return { httpStatus: 400, body: reviewResponse("", false, { code: 400, message: decoded.error }) };
  }
  const review = decoded.value;
  if (!isRecord(review.object)) {
    const message = `cannot decode the ${review.kind || "object"} of this request: expected an object`;
    return { httpStatus: 200, body: reviewResponse(review.uid, false, { code: 400, message }) };
  }
  const decision = admitServingRuntime(review.object, builtInServerTypes);
  log.debug({ kind: review.kind, name: review.name, allowed: decision.allowed }, decision.message);
  const status: AdmissionStatus = decision.allowed
    ? { code: 200, message: decision.message }
    : { code: 403, reason: "Forbidden", message: decision.message };
  return { httpStatus: 200, body: reviewResponse(review.uid, decision.allowed, status) };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  builtInServerTypes: () => readonly string[],
): Promise<void> {
  const path = new URL(request.url ?? "/", "https://webhook").pathname;
  if (path !== VALIDATE_SERVING_RUNTIME_PATH) {
    send(response, 404, { message: `no webhook at ${path}` });
    return;
  }
  if (request.method !== "POST") {
    send(response, 405, { message: "admission reviews are POSTed" });
    return;
  }
  const contentType = request.headers["content-type"] ?? "";
  if (!contentType.startsWith("application/json")) {
    send(
      response,
      400,
      reviewResponse("", false, {
        code: 400,
        message: `content type ${contentType} is not application/json`,
      }),
    );
    return;
  }
  const body = await readBody(request);
  if (body === undefined) {
    send(response, 413, reviewResponse("", false, { code: 413, message: "AdmissionReview too large" }));
    return;
  }
  const decision = admissionDecisionFor(body, builtInServerTypes());
  send(response, decision.httpStatus, decision.body);
}

/** Serves the ServingRuntime/ClusterServingRuntime validating webhook over HTTPS (TLS 1.2 or newer). */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const server = https.createServer(
    { cert: options.certPem, key: options.keyPem, minVersion: "TLSv1.2" },
    (request, response) => {
      handle(request, response, options.builtInServerTypes).catch((error: unknown) => {
        log.error({ err: error }, "admission request failed");
        if (!response.headersSent) send(response, 500, { message: "internal error" });
        else response.destroy();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info({ port, path: VALIDATE_SERVING_RUNTIME_PATH }, "Serving runtime validating webhook");
  return {
    port,
    updateCertificate(certPem, keyPem) {
      server.setSecureContext({ cert: certPem, key: keyPem, minVersion: "TLSv1.2" });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
