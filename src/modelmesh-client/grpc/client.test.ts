import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { createCertificateAuthority } from "../../../test/support/control-plane/certificates.js";
import {
  type EnsureLoadedRequest,
  ModelMesh,
  type ModelStatusInfo,
  ModelStatusInfo_ModelStatus,
  ModelStatusInfoSchema,
  type SetVModelRequest,
  type VModelStatusInfo,
  VModelStatusInfo_VModelStatus,
  VModelStatusInfoSchema,
} from "../gen/mmesh/model-mesh_pb.js";
import {
  isNoEndpoints,
  MAX_RECONNECT_BACKOFF_MS,
  type MeshTlsOptions,
  ModelMeshCallError,
  ModelMeshClient,
} from "./client.js";
import { EndpointSource } from "./endpoint-resolver.js";
import { grpcServiceDefinition } from "./service-definition.js";

/** A stand-in ModelMesh answering setVModel with its own name, so tests see which server a call reached. */
interface TestServer {
  port: number;
  requests: SetVModelRequest[];
  ensureLoaded: EnsureLoadedRequest[];
  /** Calls whose client cancelled them. */
  cancelled: number;
  stop(): Promise<void>;
}

type Behaviour = "answer" | "hang" | "already-exists";

async function startServer(
  name: string,
  behaviour: Behaviour,
  credentials = ServerCredentials.createInsecure(),
  port = 0,
) {
  const server = new Server();
  const requests: SetVModelRequest[] = [];
  const ensureLoaded: EnsureLoadedRequest[] = [];
  const hanging: Array<() => void> = [];
  const counts = { cancelled: 0 };
  server.addService(grpcServiceDefinition(ModelMesh), {
    ensureLoaded(
      call: ServerUnaryCall<EnsureLoadedRequest, ModelStatusInfo>,
      callback: sendUnaryData<ModelStatusInfo>,
    ) {
      ensureLoaded.push(call.request);
      callback(null, create(ModelStatusInfoSchema, { status: ModelStatusInfo_ModelStatus.LOADED }));
    },
    setVModel(
      call: ServerUnaryCall<SetVModelRequest, VModelStatusInfo>,
      callback: sendUnaryData<VModelStatusInfo>,
    ) {
      requests.push(call.request);
      if (behaviour === "hang") {
        call.on("cancelled", () => counts.cancelled++);
        hanging.push(() => callback({ code: status.CANCELLED, details: "stopped" }));
        return;
      }
      if (behaviour === "already-exists") {
        callback({ code: status.ALREADY_EXISTS, details: "VModel already exists with different owner" });
        return;
      }
      callback(
        null,
        create(VModelStatusInfoSchema, {
          status: VModelStatusInfo_VModelStatus.DEFINED,
          activeModelId: call.request.targetModelId,
          targetModelId: call.request.targetModelId,
          owner: name,
        }),
      );
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, credentials, (error, at) => (error ? reject(error) : resolve(at))),
  );
  const stop = async () => {
    for (const release of hanging) release();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  };
  return {
    port: bound,
    requests,
    ensureLoaded,
    get cancelled() {
      return counts.cancelled;
    },
    stop,
  } satisfies TestServer;
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(
  name: string,
  behaviour: Behaviour = "answer",
  credentials?: ServerCredentials,
  port?: number,
) {
  const server = await startServer(name, behaviour, credentials, port);
  cleanups.push(() => server.stop());
  return server;
}

function client(endpoints: EndpointSource, tls?: MeshTlsOptions, namespace = "ns1") {
  const c = new ModelMeshClient({ serviceName: "modelmesh-serving", namespace, port: 8033, endpoints, tls });
  cleanups.push(() => c.close());
  return c;
}

const request = {
  vModelId: "m",
  owner: "ksp",
  targetModelId: "m__ksp-0123456789",
  autoDeleteTargetModel: true,
};

describe("ModelMeshClient", () => {
  it("fails at once, marked as no endpoints, while no pod is ready", async () => {
    const endpoints = new EndpointSource();
    const mesh = client(endpoints);
    const started = Date.now();
    const error = await mesh.setVModel(request).catch((e: unknown) => e);
    expect(isNoEndpoints(error)).toBe(true);
    expect(error).toMatchObject({ code: status.UNAVAILABLE, method: "setVModel" });
    endpoints.set([]);
    expect(isNoEndpoints(await mesh.getVModelStatus({ vModelId: "m" }).catch((e: unknown) => e))).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("sends every SetVModel field and reads the answer", async () => {
    const server = await serve("a");
    const endpoints = new EndpointSource();
    endpoints.set([{ host: "127.0.0.1", port: server.port }]);
    const answer = await client(endpoints).setVModel({
      ...request,
      loadNow: true,
      modelInfo: { type: "mt:sklearn", path: "p", key: '{"model_type":{"name":"sklearn"}}' },
    });
    expect(answer).toMatchObject({
      status: VModelStatusInfo_VModelStatus.DEFINED,
      activeModelId: request.targetModelId,
    });
    expect(server.requests[0]).toMatchObject({
      vModelId: "m",
      owner: "ksp",
      targetModelId: request.targetModelId,
      autoDeleteTargetModel: true,
      loadNow: true,
      modelInfo: { type: "mt:sklearn", path: "p", key: '{"model_type":{"name":"sklearn"}}' },
    });
  });

  it("round-robins over the ready pods and follows address changes without a new client", async () => {
    const [a, b, c] = [await serve("a"), await serve("b"), await serve("c")];
    const endpoints = new EndpointSource();
    endpoints.set([
      { host: "127.0.0.1", port: a.port },
      { host: "127.0.0.1", port: b.port },
    ]);
    const mesh = client(endpoints);
    const owners = new Set<string>();
    for (let i = 0; i < 8; i++) owners.add((await mesh.setVModel(request)).owner);
    expect(owners).toEqual(new Set(["a", "b"]));

    endpoints.set([{ host: "127.0.0.1", port: c.port }]);
    await expect.poll(async () => (await mesh.setVModel(request)).owner, { timeout: 5000 }).toBe("c");
    const after = new Set<string>();
    for (let i = 0; i < 4; i++) after.add((await mesh.setVModel(request)).owner);
    expect(after).toEqual(new Set(["c"]));
  });

  it("gives up at the deadline", async () => {
    const server = await serve("slow", "hang");
    const endpoints = new EndpointSource();
    endpoints.set([{ host: "127.0.0.1", port: server.port }]);
    const error = await client(endpoints)
      .setVModel(request, { deadlineMs: 200 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelMeshCallError);
    expect(error).toMatchObject({ code: status.DEADLINE_EXCEEDED, noEndpoints: false });
  });

  it("cancels a call when its signal aborts", async () => {
    const server = await serve("slow", "hang");
    const endpoints = new EndpointSource();
    endpoints.set([{ host: "127.0.0.1", port: server.port }]);
    const abort = new AbortController();
    const call = client(endpoints)
      .setVModel(request, { deadlineMs: 10_000, signal: abort.signal })
      .catch((e: unknown) => e);
    await expect.poll(() => server.requests.length).toBe(1);
    abort.abort();
    expect(await call).toMatchObject({ code: status.CANCELLED });
    await expect.poll(() => server.cancelled).toBe(1);
    const late = await client(endpoints)
      .setVModel(request, { signal: abort.signal })
      .catch((e: unknown) => e);
    expect(late).toMatchObject({ code: status.CANCELLED });
    expect(server.requests).toHaveLength(1);
  });

  it("sends ensureLoaded with its model id, sync and last-used time", async () => {
    const server = await serve("a");
    const endpoints = new EndpointSource();
    endpoints.set([{ host: "127.0.0.1", port: server.port }]);
    const answer = await client(endpoints).ensureLoaded({
      modelId: "m__isvc-0123456789",
      sync: true,
      lastUsedTime: 1234n,
    });
    expect(answer.status).toBe(ModelStatusInfo_ModelStatus.LOADED);
    expect(server.ensureLoaded[0]).toMatchObject({
      modelId: "m__isvc-0123456789",
      sync: true,
      lastUsedTime: 1234n,
    });
  });

  it("summarises a failure in words that do not change between attempts", () => {
    const refused = new ModelMeshCallError(
      "setVModel",
      status.ALREADY_EXISTS,
      "Model already exists with different attribute values",
    );
    expect(refused.summary).toBe(
      "ModelMesh setVModel failed (ALREADY_EXISTS): Model already exists with different attribute values",
    );
    const transport = new ModelMeshCallError(
      "setVModel",
      status.UNAVAILABLE,
      "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:8033. Resolution note: ",
    );
    expect(transport.summary).toBe("ModelMesh setVModel failed (UNAVAILABLE)");
    expect(transport.message).toContain("ECONNREFUSED");
  });

  it("passes the mesh's status code through", async () => {
    const server = await serve("x", "already-exists");
    const endpoints = new EndpointSource();
    endpoints.set([{ host: "127.0.0.1", port: server.port }]);
    const error = await client(endpoints)
      .setVModel(request)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: status.ALREADY_EXISTS,
      details: "VModel already exists with different owner",
    });
    expect(isNoEndpoints(error)).toBe(false);
  });
});

describe("ModelMeshClient dialling a fixed target (config modelMeshEndpoint)", () => {
  const fixed = (target: string, tls?: MeshTlsOptions) => {
    const c = new ModelMeshClient({
      serviceName: "modelmesh-serving",
      namespace: "ns1",
      port: 8033,
      target,
      tls,
    });
    cleanups.push(() => c.close());
    return c;
  };

  it.each([
    ["host:port", (port: number) => `127.0.0.1:${port}`],
    ["a dns target", (port: number) => `dns:///localhost:${port}`],
    ["an ipv4 target", (port: number) => `ipv4:127.0.0.1:${port}`],
  ])("reaches the mesh at %s with no endpoint source", async (_form, target) => {
    const server = await serve("fixed");
    const mesh = fixed(target(server.port));
    expect(mesh.authority).toBe("modelmesh-serving.ns1");
    expect((await mesh.setVModel(request)).owner).toBe("fixed");
    expect(server.requests).toHaveLength(1);
  });

  it("reports when the mesh goes away, and that it is back within seconds of its return", async () => {
    const first = await startServer("up", "answer");
    const mesh = fixed(`127.0.0.1:${first.port}`);
    const seen: boolean[] = [];
    const stop = mesh.watchReachability((up) => seen.push(up));
    cleanups.push(stop);
    await expect.poll(() => seen.at(-1), { timeout: 5000 }).toBe(true);
    await first.stop();
    await expect.poll(() => seen.at(-1), { timeout: 5000 }).toBe(false);
    // Down long enough for grpc-js's reconnect backoff to grow to its cap.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await serve("back", "answer", undefined, first.port);
    const back = Date.now();
    await expect.poll(() => seen.at(-1), { timeout: 5000, interval: 50 }).toBe(true);
    expect(Date.now() - back).toBeLessThan(MAX_RECONNECT_BACKOFF_MS + 1000);
    expect((await mesh.setVModel(request)).owner).toBe("back");
  }, 20_000);

  it("reports an unreachable target as a call failure, not as a namespace without ready pods", async () => {
    const server = await serve("gone");
    await server.stop();
    const error = await fixed(`127.0.0.1:${server.port}`)
      .setVModel(request, { deadlineMs: 3000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: status.UNAVAILABLE, noEndpoints: false });
  });
});

describe("ModelMeshClient over TLS", () => {
  function selfSigned(dnsName: string): MeshTlsOptions {
    const dir = mkdtempSync(join(tmpdir(), "mesh-tls-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${dnsName}`,
      "-addext", `subjectAltName=DNS:${dnsName}`, "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.crt"),
    ], { stdio: "ignore" }); // biome-ignore format: one argument list
    return {
      certPem: readFileSync(join(dir, "tls.crt"), "utf8"),
      keyPem: readFileSync(join(dir, "tls.key"), "utf8"),
    };
  }

  function serverTls(tls: MeshTlsOptions, clientAuth = false) {
    const trust = clientAuth ? Buffer.from(tls.caPem ?? tls.certPem) : null;
    return ServerCredentials.createSsl(
      trust,
      [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }],
      clientAuth,
    );
  }

  it("trusts a self-signed tls.crt issued for <service>.<namespace>", async () => {
    const tls = selfSigned("modelmesh-serving.ns1");
    const server = await serve("tls", "answer", serverTls(tls));
    const endpoints = new EndpointSource();
    endpoints.set([{ host: "127.0.0.1", port: server.port }]);
    const mesh = client(endpoints, tls);
    expect(mesh.authority).toBe("modelmesh-serving.ns1");
    expect((await mesh.setVModel(request)).owner).toBe("tls");
  });

  it("does mTLS with a CA-issued certificate and ca.crt", async () => {
    const ca = await createCertificateAuthority("mesh-test-ca");
    const leaf = await ca.issue({
      commonName: "modelmesh-serving",
      dnsNames: ["modelmesh-serving.ns1"],
      usage: "both",
    });
    const tls = { ...leaf, caPem: ca.certPem };
    const server = await serve("mtls", "answer", serverTls(tls, true));
    const endpoints = new EndpointSource();
    endpoints.set([{ host: "127.0.0.1", port: server.port }]);
    expect((await client(endpoints, tls).setVModel(request)).owner).toBe("mtls");
  });

  it("checks <service>.<namespace> on a fixed target too, whatever host it dials", async () => {
    const tls = selfSigned("modelmesh-serving.ns1");
    const server = await serve("tls-fixed", "answer", serverTls(tls));
    const mesh = new ModelMeshClient({
      serviceName: "modelmesh-serving",
      namespace: "ns1",
      port: 8033,
      target: `127.0.0.1:${server.port}`,
      tls,
    });
    cleanups.push(() => mesh.close());
    expect((await mesh.setVModel(request)).owner).toBe("tls-fixed");
  });

  it("refuses a certificate issued for another name", async () => {
    const tls = selfSigned("modelmesh-serving.other");
    const server = await serve("tls", "answer", serverTls(tls));
    const endpoints = new EndpointSource();
    endpoints.set([{ host: "127.0.0.1", port: server.port }]);
    const error = await client(endpoints, tls, "ns1")
      .setVModel(request, { deadlineMs: 3000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: status.UNAVAILABLE, noEndpoints: false });
    expect(String((error as Error).message)).toMatch(/modelmesh-serving\.ns1|altnames|Hostname/i);
    expect(server.requests).toHaveLength(0);
  });
});
