import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWebhookServer } from "../../test/support/controller/webhook.js";
import { VALIDATE_SERVING_RUNTIME_PATH, type WebhookServer } from "./server.js";

interface Reply {
  status: number;
  body: unknown;
}

let server: WebhookServer;
let caPem: string;

beforeAll(async () => {
  ({ server, caPem } = await startTestWebhookServer(["mlserver"]));
});

afterAll(() => server.close());

function request(
  body: string,
  { method = "POST", path = VALIDATE_SERVING_RUNTIME_PATH, contentType = "application/json", tls = {} } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const call = https.request(
      {
        host: "127.0.0.1",
        port: server.port,
        method,
        path,
        ca: caPem,
        headers: { "Content-Type": contentType },
        ...tls,
      },
      (response) => {
        let text = "";
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    call.on("error", reject);
    call.end(body);
  });
}

function review(object: unknown, kind = "ServingRuntime") {
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "uid-1",
      kind: { group: "serving.kserve.io", version: "v1alpha1", kind },
      name: "rt",
      object,
    },
  });
}

const runtime = (spec: Record<string, unknown>, annotations: Record<string, string> = {}) => ({
  apiVersion: "serving.kserve.io/v1alpha1",
  kind: "ServingRuntime",
  metadata: { name: "rt", annotations },
  spec: { multiModel: true, grpcEndpoint: "port:8085", ...spec },
});

describe("the validating webhook server", () => {
  it("allows a valid multi-model runtime", async () => {
    const reply = await request(review(runtime({ containers: [{ name: "server", image: "x" }] })));
    expect(reply).toStrictEqual({
      status: 200,
      body: {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: {
          uid: "uid-1",
          allowed: true,
          status: { code: 200, message: "Passed all validation checks for ServingRuntime" },
        },
      },
    });
  });

  it("denies an invalid ClusterServingRuntime with the validator's message", async () => {
    const object = runtime(
      { containers: [{ name: "server" }] },
      { "serving.kserve.io/autoscalerClass": "kpa" },
    );
    const reply = await request(
      review({ ...object, kind: "ClusterServingRuntime" }, "ClusterServingRuntime"),
    );
    expect(reply.body).toMatchObject({
      response: {
        uid: "uid-1",
        allowed: false,
        status: {
          code: 403,
          reason: "Forbidden",
          message: "[kpa] is not a supported autoscaler class type.\n",
        },
      },
    });
  });

  it("uses the configured built-in server types", async () => {
    const object = runtime({ builtInAdapter: { serverType: "triton" }, containers: [{ name: "triton" }] });
    const reply = await request(review(object));
    expect(reply.body).toMatchObject({
      response: { allowed: false, status: { message: "unrecognized built-in runtime server type triton" } },
    });
  });

  it("answers 400 to a body that is not an AdmissionReview", async () => {
    expect((await request("{not json")).status).toBe(400);
    expect((await request(JSON.stringify({ kind: "AdmissionReview" }))).status).toBe(400);
    expect((await request(review(runtime({})), { contentType: "text/plain" })).status).toBe(400);
  });

  it("refuses with code 400 an object that cannot be decoded", async () => {
    const reply = await request(review("a string"));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ response: { uid: "uid-1", allowed: false, status: { code: 400 } } });
  });

  it("serves only its path, only by POST", async () => {
    expect((await request(review(runtime({})), { path: "/other" })).status).toBe(404);
    expect((await request("", { method: "GET" })).status).toBe(405);
  });

  it("refuses TLS older than 1.2", async () => {
    await expect(
      request(review(runtime({})), { tls: { maxVersion: "TLSv1.1", minVersion: "TLSv1" } }),
    ).rejects.toThrow();
  });
});
