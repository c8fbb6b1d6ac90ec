import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { passThrough, rawUnaryMethod } from "../emulator/raw-methods.js";
import { type GrpcForwarder, startGrpcForwarder } from "./grpc-forwarder-process.js";

const method = (name: string) => rawUnaryMethod(`/test.Echo/${name}`);

function call(client: Client, name: string): Promise<{ response?: Buffer; error?: ServiceError }> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(
      `/test.Echo/${name}`,
      passThrough,
      passThrough,
      Buffer.from([0, 1, 2, 255]),
      new Metadata(),
      { deadline: Date.now() + 10_000 },
      (error, response) => resolve(error ? { error } : { ...(response && { response }) }),
    ),
  );
}

describe("the serving benchmark's bare forwarder", () => {
  let upstream: Server;
  let forwarder: GrpcForwarder;
  let client: Client;
  const logFile = path.join(mkdtempSync(path.join(tmpdir(), "grpc-forwarder-")), "forwarder.log");

  beforeAll(async () => {
    upstream = new Server();
    upstream.addService(
      { Echo: method("Echo"), Refuse: method("Refuse") },
      {
        Echo: (c: { request: Buffer }, done: (e: null, r: Buffer) => void) =>
          done(null, Buffer.concat([Buffer.from("echo:"), c.request])),
        Refuse: (_c: unknown, done: (e: { code: number; details: string }) => void) =>
          done({ code: status.INVALID_ARGUMENT, details: "shape (1, 3) ≠ (1, 64): 100% wrong" }),
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      upstream.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    forwarder = await startGrpcForwarder(`127.0.0.1:${port}`, logFile);
    client = new Client(forwarder.grpcAddress, credentials.createInsecure());
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await forwarder?.process.stop();
    upstream?.forceShutdown();
  });

  it("passes the request's bytes to the runtime and the answer's bytes back unchanged", async () => {
    const { response, error } = await call(client, "Echo");
    expect(error).toBeUndefined();
    expect(response).toEqual(Buffer.from([...Buffer.from("echo:"), 0, 1, 2, 255]));
  });

  it("passes the runtime's refusal back with its code and text", async () => {
    const { error } = await call(client, "Refuse");
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toBe("shape (1, 3) ≠ (1, 64): 100% wrong");
  });
});
