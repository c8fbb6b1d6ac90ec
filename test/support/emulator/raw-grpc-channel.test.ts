import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceError,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../control-plane/index.js";
import { MeshStatus } from "./mesh-replies.js";
import { RawGrpcChannel } from "./raw-grpc-channel.js";
import { passThrough, rawUnaryMethod } from "./raw-methods.js";

const SERVICE = "test.Echo";
/** A message that grpc-js percent-encodes on the wire. */
const AWKWARD_MESSAGE = "refused: shape (1, 3) ≠ (1, 64)\nretry at 100%";

interface Outcome {
  readonly response?: Buffer;
  readonly headers?: Record<string, unknown>;
  readonly code?: number;
  readonly details?: string;
}

/** A grpc-js server, the peer both clients talk to: each method answers in its own way. */
async function startPeer(seen: Metadata[]): Promise<{ server: Server; address: string }> {
  const server = new Server();
  const method = (name: string) => rawUnaryMethod(`/${SERVICE}/${name}`);
  type Handler = (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => void;
  const handlers: Record<string, Handler> = {
    Echo: (call, done) => {
      seen.push(call.metadata);
      const headers = new Metadata();
      headers.set("x-answer", "yes");
      headers.set("x-answer-bin", Buffer.from([0, 1, 2, 255]));
      call.sendMetadata(headers);
      done(null, Buffer.concat([Buffer.from("echo:"), call.request]));
    },
    Refuse: (_call, done) => done({ code: status.INVALID_ARGUMENT, details: AWKWARD_MESSAGE }),
    Stall: (_call, done) => {
      setTimeout(() => done(null, Buffer.from("late")), 2_000).unref();
    },
  };
  server.addService(Object.fromEntries(Object.keys(handlers).map((name) => [name, method(name)])), handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { server, address: `127.0.0.1:${port}` };
}

function grpcJsCall(client: Client, name: string, metadata: Metadata, deadline: Date): Promise<Outcome> {
  return new Promise((resolve) => {
    let headers: Metadata | undefined;
    const call = client.makeUnaryRequest(
      `/${SERVICE}/${name}`,
      passThrough,
      passThrough,
      Buffer.from("ping"),
      metadata,
      { deadline },
      (error: ServiceError | null, response?: Buffer) =>
        resolve(
          error
            ? { code: error.code, details: error.details }
            : { ...(response && { response }), headers: headers?.getMap() ?? {} },
        ),
    );
    call.on("metadata", (received: Metadata) => {
      headers = received;
    });
  });
}

async function rawCall(channel: RawGrpcChannel, name: string, metadata: Metadata, deadline: Date) {
  try {
    const reply = await channel.unary(`${SERVICE}/${name}`, metadata, Buffer.from("ping"), deadline);
    return { response: reply.response, headers: reply.metadata.getMap() };
  } catch (error) {
    if (!(error instanceof MeshStatus)) throw error;
    return { code: error.code, details: error.message };
  }
}

describe("RawGrpcChannel gives what a grpc-js channel gives", () => {
  const seen: Metadata[] = [];
  let server: Server;
  let address: string;
  let grpcJs: Client;
  let raw: RawGrpcChannel;
  const soon = () => new Date(Date.now() + 10_000);

  beforeAll(async () => {
    ({ server, address } = await startPeer(seen));
    grpcJs = new Client(address, credentials.createInsecure());
    raw = new RawGrpcChannel(address);
  });

  afterAll(() => {
    raw?.close();
    grpcJs?.close();
    server?.forceShutdown();
  });

  it("an answer: the same bytes and the same headers; the request's metadata arrives the same", async () => {
    const metadata = new Metadata();
    metadata.set("mm-model-id", "digits__isvc-0123456789");
    metadata.set("mm-model-id-bin", Buffer.from("digits__isvc-0123456789"));
    metadata.add("x-twice", "a");
    metadata.add("x-twice", "b");
    const expected = await grpcJsCall(grpcJs, "Echo", metadata, soon());
    const actual = await rawCall(raw, "Echo", metadata, soon());
    // Node's HTTP/2 server stamps each answer with the second it was sent: the two calls may straddle one.
    expect(actual).toEqual({ ...expected, headers: { ...expected.headers, date: expect.any(String) } });
    expect(expected.headers?.date).toEqual(expect.any(String));
    expect(actual.response?.toString()).toBe("echo:ping");
    expect(actual.headers?.["x-answer-bin"]).toEqual(Buffer.from([0, 1, 2, 255]));

    const [viaGrpcJs, viaRaw] = seen.slice(-2).map((m) => {
      const { "user-agent": _agent, "grpc-accept-encoding": _accept, ...rest } = m.getMap();
      return rest;
    });
    expect(viaRaw).toEqual(viaGrpcJs);
    expect(viaRaw).toMatchObject({ "mm-model-id": "digits__isvc-0123456789", "x-twice": "a, b" });
  });

  it("a status with a percent-encoded message: the same code and decoded text", async () => {
    const expected = await grpcJsCall(grpcJs, "Refuse", new Metadata(), soon());
    expect(expected).toEqual({ code: status.INVALID_ARGUMENT, details: AWKWARD_MESSAGE });
    expect(await rawCall(raw, "Refuse", new Metadata(), soon())).toEqual(expected);
  });

  it("a method the server lacks: UNIMPLEMENTED, as grpc-js says it", async () => {
    const expected = await grpcJsCall(grpcJs, "Missing", new Metadata(), soon());
    expect(expected.code).toBe(status.UNIMPLEMENTED);
    expect(await rawCall(raw, "Missing", new Metadata(), soon())).toEqual(expected);
  });

  it("a deadline that passes: DEADLINE_EXCEEDED, and one already past is refused before sending", async () => {
    const deadline = () => new Date(Date.now() + 200);
    expect((await grpcJsCall(grpcJs, "Stall", new Metadata(), deadline())).code).toBe(
      status.DEADLINE_EXCEEDED,
    );
    expect(await rawCall(raw, "Stall", new Metadata(), deadline())).toEqual({
      code: status.DEADLINE_EXCEEDED,
      details: "Deadline exceeded",
    });
    expect(await rawCall(raw, "Echo", new Metadata(), new Date(Date.now() - 1))).toEqual({
      code: status.DEADLINE_EXCEEDED,
      details: "Deadline exceeded",
    });
  });

  it("nobody listening: UNAVAILABLE, and the channel connects again once somebody does", async () => {
    const port = await freePort();
    const nowhere = new RawGrpcChannel(`127.0.0.1:${port}`);
    const grpcJsNowhere = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      expect((await grpcJsCall(grpcJsNowhere, "Echo", new Metadata(), soon())).code).toBe(status.UNAVAILABLE);
      const refused = await rawCall(nowhere, "Echo", new Metadata(), soon());
      expect(refused.code).toBe(status.UNAVAILABLE);
      expect(refused.details).toMatch(/ECONNREFUSED/);

      const late = new Server();
      late.addService(
        { Echo: rawUnaryMethod(`/${SERVICE}/Echo`) },
        {
          Echo: (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) =>
            done(null, call.request),
        },
      );
      await new Promise<void>((resolve, reject) =>
        late.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      try {
        expect((await rawCall(nowhere, "Echo", new Metadata(), soon())).response?.toString()).toBe("ping");
      } finally {
        late.forceShutdown();
      }
    } finally {
      nowhere.close();
      grpcJsNowhere.close();
    }
  });
});
