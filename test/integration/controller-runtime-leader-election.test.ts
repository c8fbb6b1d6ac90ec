import type { V1Lease } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { LEASES } from "../../src/apis/resource-types.js";
import { resourcePath } from "../../src/controller-runtime/kube-client.js";
import { LeaderElector } from "../../src/controller-runtime/leader-election/lease.js";
import { createMetricsRegistry } from "../../src/controller-runtime/metrics.js";
import { eventually } from "../support/async/eventually.js";
import { suiteNamespace } from "../support/kube/namespaces.js";

// Short timings keep these cases fast; the default 15/10/2 s are exercised by controller-runtime-manager.test.ts.
const timings = { leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 200 };

const { client, namespace } = suiteNamespace("runtime-election");

function candidate(identity: string, name: string) {
  const events: string[] = [];
  const { registry, metrics } = createMetricsRegistry();
  const elector = new LeaderElector({ client, namespace, name, identity, metrics, ...timings });
  elector.start({
    onStartedLeading: () => events.push("started"),
    onStoppedLeading: () => {
      events.push("lost");
    },
  });
  return { elector, events, registry };
}

describe("LeaderElector", () => {
  it("admits one leader at a time and hands over at once when the leader releases", async () => {
    const a = candidate("a", "release-lock");
    await eventually(() => a.elector.isLeader(), "a to lead", 10_000);
    const b = candidate("b", "release-lock");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(b.elector.isLeader()).toBe(false);
    expect(await b.registry.metrics()).toContain('leader_election_master_status{name="release-lock"} 0');

    const releasedAt = performance.now();
    await a.elector.stop();
    await eventually(() => b.elector.isLeader(), "b to take over", 5_000);
    // A released lease is free at b's next attempt, well before it would expire.
    expect(performance.now() - releasedAt).toBeLessThan(timings.leaseDurationMs);
    expect(await b.registry.metrics()).toContain('leader_election_master_status{name="release-lock"} 1');
    expect(a.events).toEqual(["started"]);
    expect(b.events).toEqual(["started"]);
    const lease = await client.get<V1Lease>(LEASES, "release-lock", namespace);
    expect(lease?.spec?.holderIdentity).toBe("b");
    expect(lease?.spec?.leaseTransitions).toBe(1);
    await b.elector.stop();
  });

  it("steps down when it cannot renew, then campaigns again and leads once the other lease expires", async () => {
    const a = candidate("a", "borrowed-lock");
    await eventually(() => a.elector.isLeader(), "a to lead", 10_000);
    const lease = await client.get<V1Lease>(LEASES, "borrowed-lock", namespace);
    await client.request({
      method: "PUT",
      path: resourcePath(LEASES, { namespace, name: "borrowed-lock" }),
      body: {
        ...lease,
        spec: {
          ...lease?.spec,
          holderIdentity: "visitor",
          leaseDurationSeconds: 2,
          renewTime: new Date().toISOString().replace(/Z$/, "000Z"),
        },
      },
    });
    await eventually(() => a.events.includes("lost"), "a to step down", 5_000);
    const lostAt = performance.now();
    expect(a.elector.holdsLock()).toBe(false);
    await eventually(() => a.elector.isLeader(), "a to lead again", 10_000);
    // Not before the visitor's 2 s lease expired: at least 1 s after the step-down (less the polling here).
    expect(performance.now() - lostAt).toBeGreaterThan(800);
    expect(a.events).toEqual(["started", "lost", "started"]);
    const after = await client.get<V1Lease>(LEASES, "borrowed-lock", namespace);
    expect(after?.spec?.holderIdentity).toBe("a");
    expect(after?.spec?.leaseTransitions).toBe(1);
    await a.elector.stop();
  });

  it("reports leadership lost when it cannot renew within the deadline", async () => {
    const a = candidate("a", "stolen-lock");
    await eventually(() => a.elector.isLeader(), "a to lead", 10_000);
    const lease = await client.get<V1Lease>(LEASES, "stolen-lock", namespace);
    const renewTime = new Date().toISOString().replace(/Z$/, "000Z");
    await client.request({
      method: "PUT",
      path: resourcePath(LEASES, { namespace, name: "stolen-lock" }),
      body: {
        ...lease,
        spec: { ...lease?.spec, holderIdentity: "intruder", leaseDurationSeconds: 60, renewTime },
      },
    });
    await eventually(() => a.events.includes("lost"), "a to notice it lost the lease", 5_000);
    expect(a.elector.isLeader()).toBe(false);
    expect(await a.registry.metrics()).toContain('leader_election_master_status{name="stolen-lock"} 0');
    await a.elector.stop();
    expect((await client.get<V1Lease>(LEASES, "stolen-lock", namespace))?.spec?.holderIdentity).toBe(
      "intruder",
    );
  });
});
