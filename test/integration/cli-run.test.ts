/**
 * `modelmesh-serving run` as a process on the shared control plane (namespace scope): probes, metrics, the
 * webhook, reconciling, draining on SIGTERM; a fatal invalid configuration at start; certificate reload.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import type { V1Deployment } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  CONFIG_MAPS,
  DEPLOYMENTS,
  NAMESPACES,
  SECRETS,
  SERVICES,
  SERVING_RUNTIMES,
} from "../../src/apis/resource-types.js";
import { defaultServingConfig } from "../../src/config/serving-config.js";
import type { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { WebhookRunnable } from "../../src/webhook/runnable.js";
import { VALIDATE_SERVING_RUNTIME_PATH } from "../../src/webhook/server.js";
import { eventually } from "../support/async/eventually.js";
import { createCertificateAuthority, freePort } from "../support/control-plane/index.js";
import { type ControllerProcess, startControllerProcess } from "../support/controller/process.js";
import { etcdSecret, userConfigMap } from "../support/controller/user-config.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { installCrds } from "../support/kube/crds.js";
import { createNamespace } from "../support/kube/namespaces.js";
import { customRuntime } from "../support/runtimes/custom-runtime.js";

const kubeconfigPath = inject("kubeconfigPath");

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

function admissionReview(
  port: number,
  caPem: string,
  object: unknown,
): Promise<{ allowed: boolean; message?: string }> {
  const body = JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "u-1",
      kind: { group: "serving.kserve.io", version: "v1alpha1", kind: "ServingRuntime" },
      name: "x",
      operation: "CREATE",
      object,
    },
  });
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: "127.0.0.1",
        port,
        path: VALIDATE_SERVING_RUNTIME_PATH,
        method: "POST",
        ca: caPem,
        headers: { "content-type": "application/json" },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        response.on("end", () => {
          const review = JSON.parse(text) as {
            response: { allowed: boolean; status?: { message?: string } };
          };
          resolve({ allowed: review.response.allowed, message: review.response.status?.message });
        });
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

let client: KubeClient;

beforeAll(async () => {
  client = testClient(loadKubeConfig(kubeconfigPath));
  await installCrds(kubeconfigPath);
});

describe("modelmesh-serving run", () => {
  let namespace: string;
  let controller: ControllerProcess;
  let ports: { metrics: number; health: number; webhook: number };
  let caPem: string;

  beforeAll(async () => {
    namespace = await createNamespace(client, "ctl-run");
    await client.create(SECRETS, etcdSecret(namespace));
    const ca = await createCertificateAuthority("controller-run-ca");
    const serving = await ca.issue({ commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"], usage: "server" });
    caPem = ca.certPem;
    const certDir = mkdtempSync(path.join(os.tmpdir(), "webhook-certs-"));
    writeFileSync(path.join(certDir, "tls.crt"), serving.certPem);
    writeFileSync(path.join(certDir, "tls.key"), serving.keyPem);
    ports = { metrics: await freePort(), health: await freePort(), webhook: await freePort() };
    controller = await startControllerProcess({
      kubeconfig: kubeconfigPath,
      listen: "as-given",
      args: [
        "run",
        "--metrics-addr",
        `127.0.0.1:${ports.metrics}`,
        "--health-probe-bind-address",
        `127.0.0.1:${ports.health}`,
        "--webhook-port",
        String(ports.webhook),
        "--webhook-cert-dir",
        certDir,
        "--enable-leader-election",
        "--leader-elect-lease-duration-sec",
        "4",
        "--leader-elect-lease-renew-deadline-sec",
        "3",
        "--leader-elect-retry-period-sec",
        "1",
      ],
      env: {
        LOG_LEVEL: "info",
        NAMESPACE: namespace,
        NAMESPACE_SCOPE: "true",
        POD_NAME: "modelmesh-controller-abc-xyz",
      },
    });
  });

  afterAll(async () => {
    controller?.signal("SIGKILL");
    await client?.delete(NAMESPACES, namespace);
  });

  it("becomes ready and reconciles the namespace", async () => {
    await eventually(
      async () =>
        (await httpGet(`http://127.0.0.1:${ports.health}/readyz`)).status === 200 ? true : undefined,
      "readiness",
      60_000,
    );
    expect((await httpGet(`http://127.0.0.1:${ports.health}/healthz`)).status).toBe(200);
    await eventually(() => client.get(SERVICES, "modelmesh-serving", namespace), "the Service");
    await client.create(SERVING_RUNTIMES, customRuntime("ServingRuntime", "rt-run", namespace));
    const deployment = await eventually(
      () => client.get<V1Deployment>(DEPLOYMENTS, "modelmesh-serving-rt-run", namespace),
      "the Deployment",
    );
    expect(deployment.spec?.replicas).toBe(0);
  });

  it("exposes the reconcile metrics of its controllers", async () => {
    const { body } = await httpGet(`http://127.0.0.1:${ports.metrics}/metrics`);
    expect(body).toMatch(
      /controller_runtime_reconcile_total\{controller="ServingRuntimeReconciler",result="success"\} [1-9]/,
    );
    expect(body).toMatch(
      /controller_runtime_reconcile_total\{controller="ServiceReconciler",result="success"\} [1-9]/,
    );
    expect(body).toContain("leader_election_master_status");
    // Every controller has every series, whether or not it has had work (decision 0188).
    const controllers = [
      ...body.matchAll(/^controller_runtime_max_concurrent_reconciles\{controller="([^"]+)"\}/gm),
    ].map((match) => match[1]);
    expect(controllers).toEqual(expect.arrayContaining(["ServingRuntimeReconciler", "ServiceReconciler"]));
    for (const name of controllers) {
      for (const series of [
        ...["success", "error", "requeue", "requeue_after"].map(
          (result) => `controller_runtime_reconcile_total{controller="${name}",result="${result}"}`,
        ),
        `controller_runtime_reconcile_errors_total{controller="${name}"}`,
        `controller_runtime_terminal_reconcile_errors_total{controller="${name}"}`,
        `controller_runtime_reconcile_panics_total{controller="${name}"}`,
        `controller_runtime_active_workers{controller="${name}"}`,
        `workqueue_depth{name="${name}"}`,
        `workqueue_adds_total{name="${name}"}`,
        `workqueue_retries_total{name="${name}"}`,
        `workqueue_queue_duration_seconds_count{name="${name}"}`,
        `workqueue_work_duration_seconds_count{name="${name}"}`,
        `workqueue_unfinished_work_seconds{name="${name}"}`,
        `workqueue_longest_running_processor_seconds{name="${name}"}`,
      ]) {
        expect(body, series).toContain(`${series} `);
      }
    }
  });

  it("serves the validating webhook with the certificate from --webhook-cert-dir", async () => {
    const refused = await admissionReview(
      ports.webhook,
      caPem,
      customRuntime("ServingRuntime", "bad", namespace, {
        spec: { containers: [{ name: "mm", image: "x" }] },
      }),
    );
    expect(refused.allowed).toBe(false);
    expect(refused.message).toContain("container name mm is reserved for internal use");
    const accepted = await admissionReview(
      ports.webhook,
      caPem,
      customRuntime("ServingRuntime", "good", namespace),
    );
    expect(accepted.allowed).toBe(true);
  });

  it("drains and exits 0 on SIGTERM", async () => {
    controller.signal("SIGTERM");
    expect(await controller.exited).toBe(0);
    expect(controller.output()).toContain("shutting down");
  });
});

describe("modelmesh-serving run with an invalid user configuration", () => {
  it("refuses to start and says why", async () => {
    const namespace = await createNamespace(client, "ctl-bad");
    await client.create(CONFIG_MAPS, userConfigMap(namespace, "podsPerRuntime: many\n"));
    const controller = await startControllerProcess({
      kubeconfig: kubeconfigPath,
      listen: "as-given",
      args: [
        "run",
        "--metrics-addr",
        "0",
        "--health-probe-bind-address",
        "0",
        "--webhook-cert-dir",
        "/nonexistent",
      ],
      env: { LOG_LEVEL: "info", NAMESPACE: namespace, NAMESPACE_SCOPE: "true" },
    });
    expect(await controller.exited).toBe(1);
    expect(controller.output()).toContain(
      `Error loading user config from configmap ${namespace}/model-serving-config: Invalid config for 'podsPerRuntime'`,
    );
    await client.delete(NAMESPACES, namespace);
  });
});

describe("webhook certificate reload", () => {
  it("serves a renewed certificate without a restart", async () => {
    const certDir = mkdtempSync(path.join(os.tmpdir(), "webhook-reload-"));
    const first = await createCertificateAuthority("first-ca");
    const second = await createCertificateAuthority("second-ca");
    const write = async (ca: typeof first) => {
      const pair = await ca.issue({ commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"], usage: "server" });
      writeFileSync(path.join(certDir, "tls.crt"), pair.certPem);
      writeFileSync(path.join(certDir, "tls.key"), pair.keyPem);
    };
    await write(first);
    const runnable = new WebhookRunnable({
      certDir,
      port: 0,
      host: "127.0.0.1",
      builtInServerTypes: () => defaultServingConfig().builtInServerTypes,
      reloadIntervalMs: 100,
    });
    await runnable.start();
    const port = runnable.port ?? 0;
    const good = customRuntime("ServingRuntime", "good", "ns");
    expect((await admissionReview(port, first.certPem, good)).allowed).toBe(true);
    await write(second);
    await eventually(
      async () => ((await admissionReview(port, second.certPem, good)).allowed ? true : undefined),
      "the new certificate",
    );
    await runnable.stop();
  });

  it("runs without the webhook when the directory has no certificate", async () => {
    const runnable = new WebhookRunnable({
      certDir: "/nonexistent",
      port: 0,
      builtInServerTypes: () => defaultServingConfig().builtInServerTypes,
    });
    await runnable.start();
    expect(runnable.port).toBeUndefined();
    await runnable.stop();
  });
});
