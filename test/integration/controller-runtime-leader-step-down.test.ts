/**
 * A leader whose API server is away for longer than the renew deadline steps down in-process, writes nothing
 * until it leads again, then reconciles with fresh queues — without the process exiting. A private control
 * plane (the shared one must not go away), audited, so the writes are judged from the API server's side.
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_MAPS } from "../../src/apis/resource-types.js";
import { Controller } from "../../src/controller-runtime/controller.js";
import { KubeClient } from "../../src/controller-runtime/kube-client.js";
import { Manager } from "../../src/controller-runtime/manager.js";
import { createMetricsRegistry } from "../../src/controller-runtime/metrics.js";
import { eventually } from "../support/async/eventually.js";
import { ControlPlane } from "../support/control-plane/index.js";
import { configMap } from "../support/controller-runtime/support.js";
import { createNamespace } from "../support/kube/namespaces.js";
import { AUDIT_EVERYTHING } from "../support/security/audit.js";

const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };
const CONTROLLER_USER = "step-down-controller";
const OBSERVED = "runtime-test/observed-value";

type ConfigMap = KubernetesObject & { data?: Record<string, string> };
type AuditRecord = {
  verb: string;
  stage: string;
  user: { username: string };
  objectRef?: { resource?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
};

let plane: ControlPlane;
let admin: KubeClient;
let namespace: string;

beforeAll(async () => {
  plane = await ControlPlane.start({ auditPolicy: AUDIT_EVERYTHING });
  admin = new KubeClient(plane.kubeConfig, createMetricsRegistry().metrics);
  namespace = await createNamespace(admin, "step-down");
});

afterAll(async () => {
  await plane?.stop();
});

function controllerAudit(): AuditRecord[] {
  return readFileSync(path.join(plane.dir, "audit.log"), "utf8")
    .split("\n")
    .filter((line: string) => line.trim() !== "")
    .map((line: string) => JSON.parse(line) as AuditRecord)
    .filter(
      (entry: AuditRecord) => entry.user.username === CONTROLLER_USER && entry.stage === "ResponseComplete",
    );
}

describe("a leader cut off from the API server", () => {
  it("steps down past the renew deadline, writes nothing until it leads again, and catches up", async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(await plane.userKubeconfig(CONTROLLER_USER, ["system:masters"]));
    const manager = new Manager({
      kubeConfig,
      leaderElection: { namespace, name: "step-down-lock", identity: "solo", ...timings },
    });
    const configMaps = manager.informer<ConfigMap>(CONFIG_MAPS, { namespace });
    const controller = new Controller({
      name: "observer",
      metrics: manager.metrics,
      reconciler: {
        async reconcile(key) {
          const cached = configMaps.store.get(key);
          const value = cached?.data?.value;
          if (cached === undefined || cached.metadata?.annotations?.[OBSERVED] === value) return;
          await manager.client.mergePatch(
            CONFIG_MAPS,
            { namespace, name: cached.metadata?.name },
            { metadata: { annotations: { [OBSERVED]: value } } },
          );
        },
      },
    });
    controller.watch(configMaps);
    manager.addController(controller);
    const transitions: Array<{ leader: boolean; at: number }> = [];
    const watchLeadership = setInterval(() => {
      const leader = manager.isLeader();
      if (transitions.at(-1)?.leader !== leader) transitions.push({ leader, at: Date.now() });
    }, 5);
    try {
      await manager.start();
      await admin.create(CONFIG_MAPS, configMap(namespace, "settings", { value: "1" }));
      const observed = async () =>
        (await admin.get<ConfigMap>(CONFIG_MAPS, "settings", namespace))?.metadata?.annotations?.[OBSERVED];
      await eventually(async () => (await observed()) === "1", "the first value to be observed", 15_000);

      const outageAt = Date.now();
      await plane.restartApiServer();
      const backAt = Date.now();
      // The test proves nothing unless the API server stayed away past the renew deadline.
      expect(backAt - outageAt).toBeGreaterThan(timings.renewDeadlineMs);
      await admin.mergePatch(CONFIG_MAPS, { namespace, name: "settings" }, { data: { value: "2" } });
      await eventually(async () => (await observed()) === "2", "the change to be observed", 30_000);
      expect(manager.isLeader()).toBe(true);

      // At least the one step-down; with a 2 s renew deadline an API server still slow after its restart (a
      // loaded machine) can cost another, which the checks below cover just the same.
      expect(manager.stepDowns).toBeGreaterThanOrEqual(1);
      const stepDown = transitions.find((t) => !t.leader && t.at > outageAt);
      expect(stepDown, JSON.stringify(transitions)).toBeDefined();
      // Sampling every 5 ms on a busy machine can miss a short second step-down, never invent one.
      const releads = transitions.filter((t) => t.leader && t.at > outageAt).length;
      expect(releads).toBeGreaterThanOrEqual(1);
      expect(releads).toBeLessThanOrEqual(manager.stepDowns);

      // From the API server's side: after it came back, the first write of the controller is the Lease that
      // made it leader again; no ConfigMap write was received before that.
      const afterOutage = controllerAudit().filter(
        (e) =>
          Date.parse(e.requestReceivedTimestamp) > outageAt && !["get", "list", "watch"].includes(e.verb),
      );
      const releadAt = afterOutage.find(
        (e) => e.objectRef?.resource === "leases" && e.responseStatus?.code === 200,
      )?.stageTimestamp;
      expect(releadAt, JSON.stringify(afterOutage)).toBeDefined();
      const early = afterOutage.filter(
        (e) =>
          e.objectRef?.resource === "configmaps" &&
          Date.parse(e.requestReceivedTimestamp) < Date.parse(releadAt ?? ""),
      );
      expect(early).toEqual([]);
      expect(afterOutage.some((e) => e.objectRef?.resource === "configmaps" && e.verb === "patch")).toBe(
        true,
      );
    } finally {
      clearInterval(watchLeadership);
      await manager.stop();
    }
  });
});
