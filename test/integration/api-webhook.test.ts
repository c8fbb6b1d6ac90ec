import type { KubernetesObject, V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SERVING_RUNTIMES } from "../../src/apis/resource-types.js";
import type { ServingRuntime } from "../../src/apis/serving/v1alpha1/serving-runtime.js";
import { VALIDATE_SERVING_RUNTIME_PATH, type WebhookServer } from "../../src/webhook/server.js";
import { startTestWebhookServer } from "../support/controller/webhook.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { createObject, installCrds, readYamlDocuments, refusal } from "../support/kube/crds.js";
import { createNamespace } from "../support/kube/namespaces.js";
import { VALIDATING_WEBHOOK_CONFIGURATIONS } from "../support/kube/resource-types.js";

const client = testClient(loadKubeConfig(inject("kubeconfigPath")));

const BUILT_IN_SERVER_TYPES = ["triton", "mlserver", "ovms", "torchserve"];
const WEBHOOK_NAME = "servingruntime.modelmesh-webhook-server.default";
const DENIED = `admission webhook "${WEBHOOK_NAME}" denied the request: `;

/** Only objects with this label reach the test's webhook, so other suites sharing the API server are unaffected. */
const runLabel = { "api-webhook-test": Math.random().toString(36).slice(2, 8) };
const configurationName = `api-webhook-test-${runLabel["api-webhook-test"]}`;

let server: WebhookServer;
let namespace: string;

/** config/webhook's configuration, pointed at the local server by URL instead of the in-cluster Service. */
function webhookConfiguration(port: number, caPem: string): V1ValidatingWebhookConfiguration {
  const [shipped] = readYamlDocuments("config/webhook/manifests.yaml") as V1ValidatingWebhookConfiguration[];
  if (shipped === undefined) throw new Error("config/webhook/manifests.yaml is empty");
  return {
    ...shipped,
    metadata: { name: configurationName },
    webhooks: (shipped.webhooks ?? []).map((webhook) => ({
      ...webhook,
      clientConfig: {
        url: `https://127.0.0.1:${port}${VALIDATE_SERVING_RUNTIME_PATH}`,
        caBundle: Buffer.from(caPem).toString("base64"),
      },
      objectSelector: { matchLabels: runLabel },
    })),
  };
}

function runtime(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) {
  return {
    apiVersion: "serving.kserve.io/v1alpha1",
    kind: "ServingRuntime",
    metadata: { name, namespace, labels: runLabel, annotations },
    spec: {
      multiModel: true,
      grpcEndpoint: "port:8085",
      containers: [{ name: "server", image: "x:1" }],
      ...spec,
    },
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await installCrds(inject("kubeconfigPath"));
  namespace = await createNamespace(client, "api-webhook");
  const started = await startTestWebhookServer(BUILT_IN_SERVER_TYPES);
  server = started.server;
  await client.create(VALIDATING_WEBHOOK_CONFIGURATIONS, webhookConfiguration(server.port, started.caPem));
  // The API server picks up new webhook configurations asynchronously: wait until ours answers.
  const probe = runtime("webhook-probe", { containers: [{ name: "mm" }] });
  for (let attempt = 0; ; attempt++) {
    try {
      await createObject(client, probe);
      await client.delete(SERVING_RUNTIMES, "webhook-probe", namespace);
    } catch {
      break;
    }
    if (attempt > 100) throw new Error("the API server never called the webhook");
    await delay(100);
  }
});

afterAll(async () => {
  await client.delete(VALIDATING_WEBHOOK_CONFIGURATIONS, configurationName).catch(() => undefined);
  await server?.close();
});

describe("the API server calls the validating webhook for ServingRuntimes", () => {
  it.each([
    {
      title: "a reserved container name",
      object: () => runtime("reserved-container", { containers: [{ name: "mm", image: "x:1" }] }),
      message: "container spec for mm is invalid: container name mm is reserved for internal use",
    },
    {
      title: "a lifecycle hook",
      object: () =>
        runtime("lifecycle", {
          containers: [
            { name: "server", image: "x:1", lifecycle: { preStop: { exec: { command: ["true"] } } } },
          ],
        }),
      message:
        "container spec for server is invalid: ReadinessProbe and Lifecycle are managed by modelmesh and cannot be set",
    },
    {
      title: "an unknown autoscaler class",
      object: () => runtime("kpa", {}, { "serving.kserve.io/autoscalerClass": "kpa" }),
      message: "[kpa] is not a supported autoscaler class type.\n",
    },
    {
      title: "replicas with the hpa class",
      object: () => runtime("hpa-replicas", { replicas: 2 }, { "serving.kserve.io/autoscalerClass": "hpa" }),
      message: "Autoscaler is enabled and also replicas variable set. You can not set both.",
    },
    {
      title: "a target utilization out of range",
      object: () => runtime("target", {}, { "serving.kserve.io/targetUtilizationPercentage": "101" }),
      message: "The target utilization percentage should be a [1-100] integer.",
    },
    {
      title: "an unknown built-in adapter",
      object: () =>
        runtime("adapter", { builtInAdapter: { serverType: "tgis" }, containers: [{ name: "tgis" }] }),
      message: "unrecognized built-in runtime server type tgis",
    },
    {
      title: "a runtime that would crash upstream (no puller, no grpcEndpoint)",
      object: () => runtime("no-endpoint", { grpcEndpoint: undefined, storageHelper: { disabled: true } }),
      message: "grpcEndpoint is required for a multi-model runtime",
    },
  ])("refuses $title with the validator's message", async ({ object, message }) => {
    const refused = await refusal(createObject(client, object()));
    expect(refused.code).toBe(403);
    expect(refused.message).toBe(`${DENIED}${message}`);
  });

  it("refuses an invalid ClusterServingRuntime", async () => {
    const object = {
      ...runtime(`csr-${runLabel["api-webhook-test"]}`, { volumes: [{ name: "models-dir", emptyDir: {} }] }),
      kind: "ClusterServingRuntime",
    };
    const { namespace: _, ...metadata } = object.metadata;
    const refused = await refusal(createObject(client, { ...object, metadata }));
    expect(refused.message).toBe(`${DENIED}volume models-dir is reserved for internal use`);
  });

  it("admits a valid runtime and refuses an update that breaks it", async () => {
    const created = (await createObject(client, runtime("valid", {}))) as unknown as ServingRuntime;
    const broken = {
      ...created,
      metadata: {
        ...created.metadata,
        annotations: { "serving.kserve.io/autoscalerClass": "hpa", "serving.kserve.io/min-scale": "0" },
      },
    };
    const refused = await refusal(client.replace(SERVING_RUNTIMES, broken));
    expect(refused.message).toBe(`${DENIED}The min replicas should be more than 0`);
  });

  it("lets runtimes that are not multi-model through untouched", async () => {
    const singleModel = runtime("single-model", {
      multiModel: false,
      containers: [{ name: "mm", image: "x:1" }],
    });
    await expect(createObject(client, singleModel)).resolves.toMatchObject({
      metadata: { name: "single-model" },
    });
  });

  it.each(["mlserver-1.x", "ovms-1.x", "torchserve-0.x", "triton-2.x"])(
    "admits the built-in runtime %s",
    async (name) => {
      const [shipped] = readYamlDocuments(`config/runtimes/${name}.yaml`) as KubernetesObject[];
      const object = {
        ...shipped,
        kind: "ServingRuntime",
        metadata: { ...shipped?.metadata, namespace, labels: { ...shipped?.metadata?.labels, ...runLabel } },
      };
      await expect(createObject(client, object)).resolves.toMatchObject({ metadata: { name } });
    },
  );
});
