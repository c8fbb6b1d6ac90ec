/**
 * A manager process for the runtime's integration tests: a ConfigMap controller behind leader election.
 * It reports what happens as `EVENT {json}` lines on stdout; each reconcile stamps the ConfigMap with the
 * identity of the process that did it.
 * Env: KUBECONFIG_PATH, NAMESPACE, IDENTITY, LEASE_NAME, RECONCILE_MS (time each reconcile takes), WORKERS.
 */

import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { CONFIG_MAPS } from "../../../src/apis/resource-types.js";
import { Controller } from "../../../src/controller-runtime/controller.js";
import { Manager } from "../../../src/controller-runtime/manager.js";
import { splitKey } from "../../../src/controller-runtime/store.js";
import { RECONCILED_BY } from "./support.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

function report(event: Record<string, unknown>): void {
  process.stdout.write(`EVENT ${JSON.stringify({ ...event, at: Date.now() })}\n`);
}

const namespace = env("NAMESPACE");
const identity = env("IDENTITY");
const reconcileMs = Number(process.env.RECONCILE_MS ?? "0");
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(env("KUBECONFIG_PATH"));

const manager = new Manager({
  kubeConfig,
  leaderElection: { namespace, name: env("LEASE_NAME"), identity },
});
const configMaps = manager.informer<KubernetesObject>(CONFIG_MAPS, {
  namespace,
  labelSelector: "runtime-test=manager",
});
const controller = new Controller({
  name: "configmap-stamper",
  workers: Number(process.env.WORKERS ?? "2"),
  metrics: manager.metrics,
  reconciler: {
    async reconcile(key) {
      report({ type: "start", key });
      await new Promise((resolve) => setTimeout(resolve, reconcileMs));
      const cached = configMaps.store.get(key);
      if (cached !== undefined && cached.metadata?.annotations?.[RECONCILED_BY] !== identity) {
        const { namespace: ns, name } = splitKey(key);
        await manager.client.mergePatch(
          CONFIG_MAPS,
          { namespace: ns, name },
          { metadata: { annotations: { [RECONCILED_BY]: identity } } },
        );
      }
      report({ type: "end", key });
    },
  },
});
controller.watch(configMaps);
manager.addController(controller);
manager.stopOnSignals();
await manager.start();
report({ type: "synced" });
const leadership = setInterval(() => {
  if (manager.isLeader()) {
    report({ type: "leading" });
    clearInterval(leadership);
  }
}, 50);
