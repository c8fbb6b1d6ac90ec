/**
 * Faults during a load of InferenceServices: every fault ends with every resource converged (Loaded, or
 * FailedToLoad for the tenth whose model path is missing), none lost, no orphaned or duplicate vmodel or
 * registry model in ModelMesh's etcd, and no controller crash. The controller runs as processes with the
 * install's ServiceAccount and RBAC, leader election on; ModelMesh is the emulator on its own etcd.
 *
 * RESILIENCE_N (default 300) InferenceServices per fault; RESILIENCE_OUTAGE_S (default 20) seconds of ModelMesh
 * outage. docs/reliability.md records a run at 2,000 and 60 s.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INFERENCE_SERVICES } from "../../src/apis/resource-types.js";
import { crashLines } from "../support/controller/log.js";
import { envCount, recordFigures } from "../support/resilience/figures.js";
import {
  createInferenceServices,
  type ExpectedState,
  forEachRetried,
  type LoadItem,
  loadPlan,
  until,
} from "../support/resilience/load.js";
import { MeshCluster } from "../support/resilience/mesh-cluster.js";

const N = envCount("RESILIENCE_N", 300);
const OUTAGE_MS = envCount("RESILIENCE_OUTAGE_S", 20) * 1000;
/**
 * How often the outage and the return read every status, from the suite's watch and the emulator's memory: the
 * figures' resolution. The API server is not asked, but each read walks every resource in this process, which
 * shares the cores: at 100 ms it used 17.4 s of CPU in a 39 s recovery of 6,000, against 13.2 s at 500 ms.
 */
const STATUS_POLL_MS = 250;
/**
 * After ModelMesh's return every status agrees with it within this (issue 13's target), asserted up to
 * {@link RECOVERY_ASSERTED_UP_TO} resources in the namespace. Beyond, the shared CPU sets the pace: every status
 * needs its own write, and the API server here takes about 600 a second with nothing else running
 * (`npm run bench:status-writes`); the figure is recorded then, and docs/reliability.md gives it.
 */
const RECOVERY_LIMIT_MS = 10_000;
const RECOVERY_ASSERTED_UP_TO = 500;
/** Generous: a 2,000 run on two shared cores takes minutes per fault. */
const CONVERGE_MS = Math.max(180_000, N * 300);
const TEST_MS = CONVERGE_MS * 2 + OUTAGE_MS;

describe(`faults during a load of ${N} InferenceServices`, () => {
  let cluster: MeshCluster;
  /** Every InferenceService that should exist, with its end state, across the faults. */
  const expected = new Map<string, ExpectedState>();
  let batch = 0;

  const plan = (): LoadItem[] => {
    const items = loadPlan(`f${batch++}`, N);
    for (const item of items) expected.set(item.name, item.expected);
    return items;
  };

  /**
   * The controller still hears ModelMesh's registry after the fault (a leader that stepped down must watch it
   * again): a vmodel that appears in ModelMesh for a resource that does not exist is removed. Only a registry
   * event makes the controller look at it (it never polls), so this fails when the events do not arrive.
   * Returns how long the removal took.
   */
  const registryChangeReachesController = async (): Promise<number> => {
    const name = `registry-probe-${batch}`;
    const modelId = `${name}__isvc-0000000000`;
    await cluster.putVModelRecord(name, { o: "isvc", amid: modelId, tmid: modelId });
    const written = Date.now();
    await expect.poll(() => cluster.vmodelRecord(name), { timeout: 60_000, interval: 200 }).toBeUndefined();
    return Date.now() - written;
  };

  /** Creates a batch and runs `fault` once half of it exists; then waits for convergence and records figures. */
  const underLoad = async (name: string, fault: () => Promise<Record<string, unknown> | undefined>) => {
    const items = plan();
    const started = Date.now();
    let created = 0;
    const load = createInferenceServices(cluster.client, cluster.namespace, items, {
      onCreated: (count) => (created = count),
    });
    // Strike mid-load: half the batch exists and ModelMesh already holds a quarter of it.
    await until(() => created, Math.floor(N / 2));
    const before = await cluster.vmodelCount();
    while ((await cluster.vmodelCount()) < before + Math.floor(N / 4) && created < N) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const faultAt = Date.now();
    const faultFigures = await fault();
    const faultMs = Date.now() - faultAt;
    await load;
    const createdMs = Date.now() - started;
    const { census, ms } = await cluster.waitConverged(expected, CONVERGE_MS);
    const registryEventMs = await registryChangeReachesController();
    recordFigures("resilience-faults", {
      fault: name,
      n: N,
      total: census.total,
      byState: census.byState,
      interruptedLoads: census.interruptedLoads.length,
      createMs: createdMs,
      faultMs,
      convergedAfterLoadMs: ms,
      totalMs: Date.now() - started,
      leadershipStepDowns: cluster.leadershipStepDowns(),
      registryEventMs,
      ...faultFigures,
    });
    expect(census.total).toBe(expected.size);
  };

  beforeAll(async () => {
    cluster = await MeshCluster.start();
    await cluster.startController();
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it(
    "kube-apiserver restarted mid-load",
    async () => {
      await underLoad("kube-apiserver restart", async () => {
        await cluster.plane.restartApiServer();
        return undefined;
      });
    },
    TEST_MS,
  );

  it(
    "ModelMesh's etcd restarted and compacted mid-load",
    async () => {
      await underLoad("mesh etcd restart + compaction", async () => {
        await cluster.etcd.restart(2_000);
        const revision = await cluster.etcd.compact();
        return { compactedAtRevision: revision };
      });
    },
    TEST_MS,
  );

  it(
    "ModelMesh down mid-load: statuses say RuntimeUnhealthy meanwhile, then recover without help",
    async () => {
      await underLoad("ModelMesh down", async () => {
        await cluster.stopEmulator();
        const down = Date.now();
        // Every resource that exists during the outage must say its runtime is unhealthy, within the outage.
        let unhealthyAfterMs: number | undefined;
        let last = "";
        while (Date.now() - down < OUTAGE_MS) {
          const items = await cluster.watchedInferenceServices();
          const reasons = items.map((i) => i.status?.modelStatus?.lastFailureInfo?.reason ?? "none");
          const notYet = reasons.filter((r) => r !== "RuntimeUnhealthy").length;
          last = `${notYet} of ${reasons.length} not RuntimeUnhealthy: ${JSON.stringify(items.slice(0, 2).map((i) => i.status))}`;
          if (notYet === 0 && unhealthyAfterMs === undefined) unhealthyAfterMs = Date.now() - down;
          await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS));
        }
        expect(unhealthyAfterMs, `during the outage: ${last}`).toBeDefined();
        // The restarted mesh holds no copy: every status must follow it (Loading, then Loaded) within 10 s, and
        // the controller must call it within 5 s of its return (decision 0174).
        let firstCallAt: number | undefined;
        await cluster.startEmulator({ onSetVModel: () => (firstCallAt ??= Date.now()) });
        const back = Date.now();
        const cpuAtReturn = cluster.cpuMsByProcess();
        const requestsAtReturn = await cluster.apiServerRequests();
        let right: Awaited<ReturnType<MeshCluster["statusesAgainstMesh"]>> | undefined;
        const progress: string[] = [];
        const present = expected.size;
        const waitMs = present <= RECOVERY_ASSERTED_UP_TO ? RECOVERY_LIMIT_MS * 3 : CONVERGE_MS;
        while (Date.now() - back < waitMs) {
          right = await cluster.statusesAgainstMesh();
          progress.push(
            `${Date.now() - back}ms:${right.disagree}/${right.catchingUp} ${right.sample[0] ?? ""}`,
          );
          if (right.disagree === 0) break;
          await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS));
        }
        const statusesRightAfterMs = Date.now() - back;
        const cpuAfterReturn = cluster.cpuMsByProcess();
        const recoveryCpuMs = Object.fromEntries(
          Object.entries(cpuAfterReturn).map(([name, ms]) => [
            name,
            Math.round(ms - (cpuAtReturn[name] ?? 0)),
          ]),
        );
        const requestsAfterReturn = await cluster.apiServerRequests();
        const recoveryApiRequests = Object.fromEntries(
          Object.entries(requestsAfterReturn)
            .map(([key, count]) => [key, count - (requestsAtReturn[key] ?? 0)] as const)
            .filter(([, count]) => count > 0),
        );
        expect(right?.disagree, `after the return: ${progress.join(" | ")}`).toBe(0);
        expect(firstCallAt).toBeDefined();
        const firstCallAfterMs = (firstCallAt ?? 0) - back;
        expect(firstCallAfterMs).toBeLessThan(5_000);
        if (present <= RECOVERY_ASSERTED_UP_TO) {
          expect(statusesRightAfterMs, progress.join(" | ")).toBeLessThan(RECOVERY_LIMIT_MS);
        }
        return {
          outageMs: back - down,
          allRuntimeUnhealthyAfterMs: unhealthyAfterMs,
          firstCallAfterReturnMs: firstCallAfterMs,
          statusesRightAfterReturnMs: statusesRightAfterMs,
          catchingUpAtThatTime: right?.catchingUp,
          recoveryCpuMs,
          recoveryApiRequests,
        };
      });
    },
    TEST_MS,
  );

  it(
    "the controller SIGKILLed mid-load and restarted",
    async () => {
      await underLoad("controller SIGKILL + restart", async () => {
        const [victim] = cluster.controllers.filter((c) => c.isRunning());
        await victim?.kill();
        const restarted = Date.now();
        const next = await cluster.startController();
        // A killed leader does not release the Lease: the new process waits for it to expire.
        await expect.poll(() => next.isLeader(), { timeout: 30_000, interval: 250 }).toBe(true);
        return { leaderAgainAfterMs: Date.now() - restarted };
      });
    },
    TEST_MS,
  );

  it(
    "two replicas with leader election, the leader killed mid-load",
    async () => {
      const standby = await cluster.startController();
      const [leader] = cluster.controllers.filter((c) => c.isRunning() && c !== standby);
      expect(await leader?.isLeader()).toBe(true);
      expect(await standby.isLeader()).toBe(false);
      await underLoad("leader killed, standby takes over", async () => {
        await leader?.kill();
        const killed = Date.now();
        await expect.poll(() => standby.isLeader(), { timeout: 30_000, interval: 250 }).toBe(true);
        return { takeoverMs: Date.now() - killed };
      });
    },
    TEST_MS,
  );

  it(
    "resources deleted while the controller is down lose their vmodels once it is back",
    async () => {
      const items = plan();
      await createInferenceServices(cluster.client, cluster.namespace, items);
      await cluster.waitConverged(expected, CONVERGE_MS);
      for (const controller of cluster.controllers.filter((c) => c.isRunning())) await controller.stop();
      const doomed = [...expected.keys()].filter((_, i) => i % 7 === 3);
      await forEachRetried(doomed, 8, (name) =>
        cluster.client.delete(INFERENCE_SERVICES, name, cluster.namespace),
      );
      for (const name of doomed) expected.delete(name);
      const restarted = Date.now();
      await cluster.startController();
      const { census, ms } = await cluster.waitConverged(expected, CONVERGE_MS);
      // Nothing holds them (no finalizer, decision 0140): the deleted resources are gone from the API server.
      const left = await cluster.client.list(INFERENCE_SERVICES, { namespace: cluster.namespace });
      const names = new Set(left.items.map((i) => i.metadata?.name));
      expect(doomed.filter((name) => names.has(name))).toEqual([]);
      recordFigures("resilience-faults", {
        fault: "deleted while the controller was down",
        n: N,
        deleted: doomed.length,
        remaining: census.total,
        convergedAfterRestartMs: Date.now() - restarted,
        censusMs: ms,
      });
    },
    TEST_MS,
  );

  it("no controller process crashed or wrote a crash line", () => {
    for (const controller of cluster.controllers) {
      expect(controller.crashed(), controller.logFile).toBe(false);
      expect(crashLines(controller.logLines()), controller.logFile).toEqual([]);
    }
  });
});
