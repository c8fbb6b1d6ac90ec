/**
 * TEST/SANDBOX INFRASTRUCTURE — part of the ModelMesh emulator. Unary gRPC calls of raw bytes on one node:http2
 * session, gRPC's framing and status handled here: the emulator's client of a real runtime for the inference it
 * forwards (and the serving benchmark's lean client). A grpc-js channel did the same with twice the CPU per call
 * (its resolving, load-balancing and filter stages; decision 0200). What comes back is what grpc-js gave: the
 * answer's headers as Metadata without the compression headers grpc-js consumes, the server's status code with its
 * percent-decoded message, and grpc-js's codes and texts for a call that ended without a status (HTTP status,
 * RST_STREAM, a connection that failed, the deadline).
 */
import http2 from "node:http2";
import net from "node:net";
import { Metadata, status } from "@grpc/grpc-js";
import { MeshStatus } from "./mesh-replies.js";

/** An answer of the server (for the emulator, the runtime's answer, relayed unchanged). */
export interface RuntimeReply {
  readonly response: Buffer;
  readonly metadata: Metadata;
}

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_INADEQUATE_SECURITY } =
  http2.constants;
/** The length-prefixed message framing of gRPC over HTTP/2: a compressed flag and a 4-byte length. */
const FRAME_HEADER_BYTES = 5;
/** grpc-timeout takes at most 8 digits. */
const MAX_TIMEOUT_DIGITS = 99_999_999;
/** Headers that grpc-js's compression filter takes out of the metadata it hands on. */
const COMPRESSION_HEADERS = ["grpc-encoding", "grpc-accept-encoding"];

export class RawGrpcChannel {
  private session: http2.ClientHttp2Session | undefined;

  private readonly host: string;
  private readonly port: number;

  /** `address`: `host:port` of a plaintext gRPC port. */
  constructor(private readonly address: string) {
    const colon = address.lastIndexOf(":");
    this.host = address.slice(0, colon);
    this.port = Number(address.slice(colon + 1));
  }

  /** Calls `method` (`<package.Service>/<Method>`); rejects with `MeshStatus` carrying the call's status. */
  unary(method: string, metadata: Metadata, request: Buffer, deadline?: Date): Promise<RuntimeReply> {
    return new Promise((resolve, reject) => {
      const timeoutMs = deadline === undefined ? undefined : Math.ceil(deadline.getTime() - Date.now());
      if (timeoutMs !== undefined && timeoutMs <= 0)
        return reject(new MeshStatus(status.DEADLINE_EXCEEDED, "Deadline exceeded"));
      const stream = this.connected().request({
        ...metadata.toHttp2Headers(),
        ":method": "POST",
        ":path": `/${method}`,
        "content-type": "application/grpc",
        te: "trailers",
        ...(timeoutMs !== undefined && { "grpc-timeout": grpcTimeout(timeoutMs) }),
      });
      let headers: http2.IncomingHttpHeaders | undefined;
      let trailers: http2.IncomingHttpHeaders | undefined;
      let failure: Error | undefined;
      let timedOut = false;
      const chunks: Buffer[] = [];
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              stream.close(NGHTTP2_CANCEL);
            }, timeoutMs);
      stream.on("response", (received) => {
        headers = received;
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("trailers", (received) => {
        trailers = received;
      });
      stream.on("error", (error) => {
        failure = error;
      });
      stream.on("close", () => {
        clearTimeout(timer);
        try {
          resolve(
            outcome({
              headers,
              trailers,
              body: Buffer.concat(chunks),
              rstCode: stream.rstCode,
              failure,
              timedOut,
            }),
          );
        } catch (error) {
          reject(error);
        }
      });
      stream.end(framed(request));
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  private connected(): http2.ClientHttp2Session {
    const current = this.session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    // As grpc-js connects: without Nagle's delay (node:http2 leaves it on), with unlimited session memory.
    const session = http2.connect(`http://${this.address}`, {
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      createConnection: () => net.connect({ host: this.host, port: this.port, noDelay: true }),
    });
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    // A connection's error reaches each of its streams too, which report it.
    session.on("error", forget);
    session.on("goaway", forget);
    session.on("close", forget);
    this.session = session;
    return session;
  }
}

interface Ended {
  readonly headers: http2.IncomingHttpHeaders | undefined;
  readonly trailers: http2.IncomingHttpHeaders | undefined;
  readonly body: Buffer;
  readonly rstCode: number | undefined;
  readonly failure: Error | undefined;
  readonly timedOut: boolean;
}

/** The reply of a call that ended as `ended` says; throws `MeshStatus` for anything but OK with one message. */
function outcome(ended: Ended): RuntimeReply {
  const statusHeaders =
    ended.trailers ?? (ended.headers?.["grpc-status"] !== undefined ? ended.headers : undefined);
  if (statusHeaders?.["grpc-status"] === undefined) throw endedWithoutStatus(ended);
  const code = Number(statusHeaders["grpc-status"]);
  if (code !== status.OK) throw new MeshStatus(code, grpcMessage(statusHeaders["grpc-message"]));
  const messages = unframed(ended.body);
  // grpc-js's answers to a unary call that got no message, or more than one.
  if (messages.length === 0) throw new MeshStatus(status.UNIMPLEMENTED, "No message received");
  if (messages.length > 1) throw new MeshStatus(status.UNIMPLEMENTED, "Too many responses received");
  const metadata = Metadata.fromHttp2Headers(ended.headers ?? {});
  for (const key of COMPRESSION_HEADERS) metadata.remove(key);
  return { response: messages[0] as Buffer, metadata };
}

/** grpc-js's status for a call whose stream closed without a gRPC status. */
function endedWithoutStatus(ended: Ended): MeshStatus {
  if (ended.timedOut) return new MeshStatus(status.DEADLINE_EXCEEDED, "Deadline exceeded");
  if (ended.headers === undefined && ended.failure !== undefined)
    return new MeshStatus(
      status.UNAVAILABLE,
      `No connection established. Last error: ${ended.failure.message}`,
    );
  const httpStatus = Number(ended.headers?.[":status"] ?? 0);
  if (ended.rstCode === http2.constants.NGHTTP2_NO_ERROR && httpStatus !== 0 && httpStatus !== 200)
    return new MeshStatus(httpStatusCode(httpStatus), `Received HTTP status code ${httpStatus}`);
  switch (ended.rstCode) {
    case NGHTTP2_REFUSED_STREAM:
      return new MeshStatus(status.UNAVAILABLE, "Stream refused by server");
    case NGHTTP2_CANCEL:
      return new MeshStatus(status.UNAVAILABLE, "Connection dropped");
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return new MeshStatus(status.RESOURCE_EXHAUSTED, "Bandwidth exhausted or memory limit exceeded");
    case NGHTTP2_INADEQUATE_SECURITY:
      return new MeshStatus(status.PERMISSION_DENIED, "Protocol not secure enough");
    case http2.constants.NGHTTP2_NO_ERROR:
      return new MeshStatus(
        status.INTERNAL,
        "Received RST_STREAM with code 0 (Call ended without gRPC status)",
      );
    default:
      return new MeshStatus(status.INTERNAL, `Received RST_STREAM with code ${ended.rstCode}`);
  }
}

/** grpc-js's mapping of a non-200 HTTP status (its `mapHttpStatusCode`). */
function httpStatusCode(httpStatus: number): status {
  switch (httpStatus) {
    case 400:
      return status.INTERNAL;
    case 401:
      return status.UNAUTHENTICATED;
    case 403:
      return status.PERMISSION_DENIED;
    case 404:
      return status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return status.UNAVAILABLE;
    default:
      return status.UNKNOWN;
  }
}

function grpcMessage(value: string | string[] | undefined): string {
  const message = Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
  try {
    return decodeURI(message);
  } catch {
    return message;
  }
}

function grpcTimeout(ms: number): string {
  return ms <= MAX_TIMEOUT_DIGITS ? `${ms}m` : `${Math.ceil(ms / 1000)}S`;
}

function framed(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** The messages of a response body; a compressed one (never asked for) or a cut one is an INTERNAL error. */
function unframed(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    if (at + FRAME_HEADER_BYTES > body.length)
      throw new MeshStatus(status.INTERNAL, "truncated gRPC message");
    if (body.readUInt8(at) !== 0) throw new MeshStatus(status.INTERNAL, "compressed gRPC message");
    const length = body.readUInt32BE(at + 1);
    const end = at + FRAME_HEADER_BYTES + length;
    if (end > body.length) throw new MeshStatus(status.INTERNAL, "truncated gRPC message");
    messages.push(body.subarray(at + FRAME_HEADER_BYTES, end));
    at = end;
  }
  return messages;
}
