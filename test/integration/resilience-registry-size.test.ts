/**
 * A registry larger than gRPC's default 4 MiB answer: the controller's etcd client (built from the etcd Secret as
 * the controller builds it) still reads the whole range, so the registry watcher syncs and reports every model.
 * The N=2,000 fault run reached this size at 12,000 InferenceServices in one namespace (decision 0151).
 */
import { randomUUID } from "node:crypto";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { etcdConnectionFromSecret } from "../../src/modelmesh-client/registry/etcd-connection.js";
import { type ModelEventKey, RegistryWatcher } from "../../src/modelmesh-client/registry/registry-watcher.js";
import { forEachRetried } from "../support/resilience/load.js";

const MODELS = 10_000;
/** A registry record as the emulator writes it for a loaded model (about 500 bytes). */
const record = (i: number) =>
  JSON.stringify({
    type: "mt:sklearn",
    lu: 1795647217515 + i,
    autoDel: true,
    mPath: `sklearn/models/model-${i}/mnist-svm.joblib`,
    encKey: JSON.stringify({
      storage_params: { bucket: "models", type: "s3" },
      model_type: { name: "sklearn" },
    }),
    refs: 1,
    instanceIds: { "g-rt-sklearn-5d8c7b9f4-abcde": 1795650817571 + i },
    sizeBytes: 1_048_576,
    padding: "x".repeat(200),
  });

describe(`registry watcher with ${MODELS} registry records (beyond 4 MiB)`, () => {
  const prefix = `registry-size-${randomUUID()}/mm/modelmesh-serving`;
  let controllerClient: Etcd3;
  let defaultClient: Etcd3;

  beforeAll(async () => {
    const endpoint = inject("etcdEndpoint");
    const secret = etcdConnectionFromSecret(
      {
        etcd_connection: Buffer.from(JSON.stringify({ endpoints: endpoint, root_prefix: "r" })).toString(
          "base64",
        ),
      },
      "model-serving-etcd",
    );
    if (!secret.ok) throw new Error(secret.error);
    controllerClient = new Etcd3(secret.value.options);
    defaultClient = new Etcd3({ hosts: endpoint });
    const ids = Array.from({ length: MODELS }, (_, i) => i);
    await forEachRetried(ids, 32, (i) =>
      controllerClient
        .put(`${prefix}/registry/m${i}__isvc-${String(i).padStart(10, "0")}`)
        .value(record(i))
        .exec(),
    );
  }, 120_000);

  afterAll(async () => {
    await controllerClient?.delete().prefix(prefix.split("/")[0] ?? prefix);
    controllerClient?.close();
    defaultClient?.close();
  });

  it("the records exceed what a client with gRPC's defaults accepts in one answer", async () => {
    await expect(defaultClient.getAll().prefix(`${prefix}/registry/`).strings()).rejects.toThrow(
      /RESOURCE_EXHAUSTED|larger than max/,
    );
  });

  it("the controller's client reads them all, and the watcher reports every model at start", async () => {
    const seen = new Set<string>();
    const watcher = new RegistryWatcher({
      client: controllerClient,
      servicePrefix: prefix,
      namespace: "team",
      onEvent: (key: ModelEventKey) => seen.add(`${key.source}/${key.name}`),
    });
    try {
      await expect.poll(() => seen.size, { timeout: 60_000, interval: 200 }).toBe(MODELS);
      expect(seen.has(`isvc/m${MODELS - 1}`)).toBe(true);
    } finally {
      await watcher.stop();
    }
  }, 90_000);
});
