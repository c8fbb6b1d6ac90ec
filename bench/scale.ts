/**
 * Scale benchmark (issue 8): N ModelMesh InferenceServices across the 4 built-in ClusterServingRuntimes and 2
 * served namespaces, on the local control plane with one ModelMesh emulator per namespace (zero load time).
 *
 *   npm run bench:scale -- [--n 1000] [--parallelism 32] [--load-time-ms 0 | <min>-<max>]
 *     [--controller-cmd "<shell command>"]
 *
 * `--load-time-ms` sets how long each emulated load takes (a uniform range: loads started together end spread out,
 * each instance loading as many at once as its runtime's loading concurrency). The run then also measures how
 * long after the mesh had a model loaded its status said so (`loaded_lag_*`: the mesh announces no completion,
 * decision 0173) and how many mesh calls the controller made per load.
 *
 * Phases: the floor (a bare client creates the N objects and writes one status each, no controller), then the
 * controller's convergence (first create → all Loaded), a full resync (every mesh unreachable then reachable:
 * the controller looks at every model and should write nothing), 200 single spec changes timed from the update
 * to the emulator receiving `setVModel`, and a restart with all N present. Writes are counted per user from the
 * API server's audit log. Prints a table, then one JSON object as the last line.
 */

import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { KubernetesObject } from "@kubernetes/client-node";
import { DEPLOYMENTS, INFERENCE_SERVICES } from "../src/apis/resource-types.js";
import type { SetVModelRequest } from "../src/modelmesh-client/gen/mmesh/model-mesh_pb.js";
import { parseConcreteModelId } from "../src/modelmesh-client/model-id.js";
import {
  BUILT_IN_RUNTIMES,
  createInferenceServices,
  loadedStatus,
  modelKeyOf,
  modelPath,
  modelPaths,
  type PlannedModel,
  percentile,
  planModels,
  ReachedWatch,
} from "../test/support/bench/load-generator.js";
import {
  CONTROLLER_NAMESPACE,
  ETCD_SECRET_NAME,
  type ScaleCluster,
  startScaleCluster,
  USERS,
} from "../test/support/bench/scale-cluster.js";
import {
  type ControllerCommand,
  type ControllerProcess,
  startControllerProcess,
} from "../test/support/controller/process.js";
import { parseLoadTime } from "../test/support/emulator/load-time.js";
import { createExactNamespace } from "../test/support/kube/namespaces.js";
import { formatCounts, type WriteCounts } from "../test/support/security/api-writes.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    parallelism: { type: "string", default: "32" },
    "controller-cmd": { type: "string" },
    "spec-changes": { type: "string", default: "200" },
    "timeout-s": { type: "string", default: "1800" },
    "load-time-ms": { type: "string", default: "0" },
  },
});
const LOAD_TIME = parseLoadTime(values["load-time-ms"] ?? "0");
const N = Number(values.n);
const PARALLELISM = Number(values.parallelism);
const SPEC_CHANGES = Math.min(N, Number(values["spec-changes"]));
const TIMEOUT_MS = Number(values["timeout-s"]) * 1000;
/** Our controller as the image runs it (built, `npm run bench:scale` builds first), or the given command line. */
const COMMAND: ControllerCommand =
  values["controller-cmd"] === undefined ? "built" : { shell: values["controller-cmd"] };
const DESCRIBED =
  typeof COMMAND === "object" ? COMMAND.shell : "dist/modelmesh-serving.mjs run (node --optimize-for-size)";
const BENCH_NAMESPACES = ["bench-a", "bench-b"];
const FLOOR_NAMESPACES = ["floor-a", "floor-b"];
const QUIET_MS = 3000;
const RESTART_TIMEOUT_MS = Math.min(TIMEOUT_MS, 180_000);

const say = (line: string) => process.stderr.write(`${line}\n`);
const seconds = (ms: number) => Math.round(ms) / 1000;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** When each model's latest `setVModel` arrived, and who waits for one. */
class SetVModelLog {
  readonly lastAt = new Map<string, { at: number; path: string }>();
  #waiters: Array<() => void> = [];

  record(namespace: string, request: SetVModelRequest): void {
    this.lastAt.set(`${namespace}/${request.vModelId}`, {
      at: performance.now(),
      path: request.modelInfo?.path ?? "",
    });
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves with the arrival time of the first `setVModel` for `key` after `since` that matches. */
  async next(key: string, since: number, matches: (path: string) => boolean, timeoutMs: number) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const last = this.lastAt.get(key);
      if (last && last.at >= since && matches(last.path)) return last.at;
      if (performance.now() > deadline) throw new Error(`no setVModel for ${key} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with the time by which every key got a `setVModel` at or after `since`. */
  async all(keys: readonly string[], since: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let latest = since;
      let missing = 0;
      for (const key of keys) {
        const at = this.lastAt.get(key)?.at ?? -1;
        if (at < since) missing++;
        else if (at > latest) latest = at;
      }
      if (missing === 0) return latest;
      if (performance.now() > deadline)
        throw new Error(`${missing} models got no setVModel in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** When the mesh first had each model loaded, and the calls it received, by phase. */
class MeshLog {
  readonly loadedAt = new Map<string, number>();
  calls = 0;

  loadEnded(namespace: string, modelId: string, loaded: boolean): void {
    const parsed = parseConcreteModelId(modelId);
    if (!loaded || parsed === undefined) return;
    const key = `${namespace}/${parsed.name}`;
    if (!this.loadedAt.has(key)) this.loadedAt.set(key, performance.now());
  }
}

/** Waits until `user` has written nothing for `QUIET_MS`. */
async function quiet(cluster: ScaleCluster, user: string): Promise<void> {
  let offset = cluster.audit.mark();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const writes = cluster.audit.countSince(offset, user);
    if (writes.total === 0) return;
    offset = cluster.audit.mark();
  }
}

async function measureFloor(cluster: ScaleCluster, count: number): Promise<number> {
  const models = planModels(count, { namespaces: FLOOR_NAMESPACES, prefix: "floor" });
  for (const name of FLOOR_NAMESPACES) {
    await createExactNamespace(cluster.client, name);
  }
  const result = await createInferenceServices(cluster.client, models, {
    parallelism: PARALLELISM,
    afterCreate: async (model, created) => {
      await cluster.client.mergePatch(
        INFERENCE_SERVICES,
        { namespace: model.namespace, name: model.name, subresource: "status" },
        { metadata: { resourceVersion: created.metadata?.resourceVersion }, status: loadedStatus(model) },
      );
    },
  });
  for (const namespace of FLOOR_NAMESPACES) {
    await cluster.client.request({
      method: "DELETE",
      path: `/apis/${INFERENCE_SERVICES.apiVersion}/namespaces/${namespace}/${INFERENCE_SERVICES.plural}`,
    });
  }
  return result.finishedAt - result.startedAt;
}

async function waitForRuntimes(cluster: ScaleCluster): Promise<void> {
  const deadline = performance.now() + 120_000;
  for (;;) {
    let ready = 0;
    for (const namespace of BENCH_NAMESPACES) {
      const list = await cluster.client.list<KubernetesObject & { status?: { readyReplicas?: number } }>(
        DEPLOYMENTS,
        { namespace, labelSelector: "modelmesh-service" },
      );
      ready += list.items.filter((d) => (d.status?.readyReplicas ?? 0) > 0).length;
    }
    if (ready >= BENCH_NAMESPACES.length * BUILT_IN_RUNTIMES.length) break;
    if (performance.now() > deadline) throw new Error(`only ${ready} runtime Deployments became ready`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // The emulators re-read the runtimes every 500 ms.
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

function writesLine(label: string, counts: WriteCounts): string {
  return `${label.padEnd(30)} ${String(counts.total).padStart(7)}  (${formatCounts(counts)}${counts.conflicts ? `; ${counts.conflicts} conflicts` : ""})`;
}

/** controller-runtime's reconcile and retry counters, for binaries that export them. */
async function reconcileCounts(controller: ControllerProcess): Promise<string> {
  const parts: string[] = [];
  for (const name of ["Predictor", "ServingRuntimeReconciler", "ServiceReconciler"]) {
    const total = await controller.metric("controller_runtime_reconcile_total", { controller: name });
    const retries = await controller.metric("workqueue_retries_total", { name });
    if (total !== undefined) parts.push(`${name} ${total} (${retries ?? 0} retries)`);
  }
  return parts.join(", ");
}

async function main(): Promise<void> {
  say(`scale benchmark: n=${N}, parallelism=${PARALLELISM}, controller: ${DESCRIBED}`);
  const setVModels = new SetVModelLog();
  const mesh = new MeshLog();
  const cluster = await startScaleCluster({
    namespaces: BENCH_NAMESPACES,
    modelPaths: modelPaths(BUILT_IN_RUNTIMES, 2),
    loadTimeMs: LOAD_TIME,
    onSetVModel: (namespace, request) => setVModels.record(namespace, request),
    onMeshCall: () => mesh.calls++,
    onLoadEnded: (namespace, modelId, loaded) => mesh.loadEnded(namespace, modelId, loaded),
  });
  const logDir = mkdtempSync(path.join(tmpdir(), "mms-bench-logs-"));
  const controllers: ControllerProcess[] = [];
  const startController = async (run: number) => {
    const controller = await startControllerProcess({
      command: COMMAND,
      kubeconfig: cluster.kubeconfigs.controller,
      logFile: path.join(logDir, `controller-${run}.log`),
      env: {
        NAMESPACE: CONTROLLER_NAMESPACE,
        ETCD_SECRET_NAME,
        LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      },
    });
    controllers.push(controller);
    return controller;
  };
  try {
    say("floor: a bare client creates the objects and writes one status each...");
    const floorMs = await measureFloor(cluster, N);
    say(`  ${seconds(floorMs)} s`);

    say("starting the controller; waiting for the runtime Deployments...");
    let controller = await startController(1);
    await controller.waitFor(60_000);
    await waitForRuntimes(cluster);

    say(`creating ${N} InferenceServices...`);
    const models = planModels(N, { namespaces: BENCH_NAMESPACES });
    const keys = models.map(modelKeyOf);
    const watch = new ReachedWatch(cluster.client, await ReachedWatch.currentResourceVersion(cluster.client));
    const convergenceMark = cluster.audit.mark();
    const callsBefore = mesh.calls;
    const created = await createInferenceServices(cluster.client, models, { parallelism: PARALLELISM });
    say(`  created in ${seconds(created.finishedAt - created.startedAt)} s; waiting for Loaded...`);
    await watch.until(keys, TIMEOUT_MS);
    const lastLoaded = Math.max(...keys.map((key) => watch.reachedAt.get(key) ?? 0));
    const convergenceMs = lastLoaded - created.startedAt;
    const latencies = keys.map((key) => (watch.reachedAt.get(key) ?? 0) - (created.sentAt.get(key) ?? 0));
    const loadedLags = keys.flatMap((key) => {
      const meshHadIt = mesh.loadedAt.get(key);
      const statusSaid = watch.reachedAt.get(key);
      return meshHadIt === undefined || statusSaid === undefined ? [] : [Math.max(0, statusSaid - meshHadIt)];
    });
    const slowest = keys
      .map((key) => ({ key, lag: (watch.reachedAt.get(key) ?? 0) - (mesh.loadedAt.get(key) ?? 0) }))
      .sort((a, b) => b.lag - a.lag)
      .slice(0, 3);
    if (mesh.loadedAt.size > 0) {
      say(`  slowest to show Loaded: ${slowest.map((s) => `${s.key} ${Math.round(s.lag)} ms`).join(", ")}`);
    }
    await quiet(cluster, USERS.controller);
    const meshCallsPerLoad = (mesh.calls - callsBefore) / N;
    const convergenceWrites = cluster.audit.countSince(convergenceMark, USERS.controller);
    const reconciles = await reconcileCounts(controller);
    const statusWrites = convergenceWrites.byResource.get("inferenceservices/status") ?? 0;
    await watch.stop();
    say(`  converged in ${seconds(convergenceMs)} s`);

    say("full resync: every mesh unreachable, then reachable again...");
    const resyncMark = cluster.audit.mark();
    const resyncStart = performance.now();
    await cluster.bounceEndpoints();
    await setVModels.all(keys, resyncStart, TIMEOUT_MS);
    await quiet(cluster, USERS.controller);
    const resyncWrites = cluster.audit.countSince(resyncMark, USERS.controller);

    say(`${SPEC_CHANGES} single spec changes...`);
    const step = Math.max(1, Math.floor(N / SPEC_CHANGES));
    const changed: PlannedModel[] = Array.from(
      { length: SPEC_CHANGES },
      (_, i) => models[i * step] as PlannedModel,
    );
    const setVModelLatencies: number[] = [];
    for (const model of changed) {
      const newPath = modelPath(model.modelFormat, 1);
      const sentAt = performance.now();
      await cluster.client.mergePatch(
        INFERENCE_SERVICES,
        { namespace: model.namespace, name: model.name },
        { spec: { predictor: { model: { storage: { path: newPath } } } } },
      );
      const arrived = await setVModels.next(modelKeyOf(model), sentAt, (p) => p === newPath, 30_000);
      setVModelLatencies.push(arrived - sentAt);
    }
    await quiet(cluster, USERS.controller);

    say("restart with all objects present...");
    const rssFirst = controller.peakRssMiB();
    const cpuFirst = controller.cpuSeconds();
    await controller.stop();
    const restartMark = cluster.audit.mark();
    const restartStart = performance.now();
    controller = await startController(2);
    let restartConfirmMs = Number.NaN;
    try {
      restartConfirmMs = (await setVModels.all(keys, restartStart, RESTART_TIMEOUT_MS)) - restartStart;
    } catch (error) {
      const missing = keys.filter((key) => (setVModels.lastAt.get(key)?.at ?? -1) < restartStart);
      const byNamespace = new Map<string, number>();
      for (const key of missing)
        byNamespace.set(key.split("/")[0] ?? "", (byNamespace.get(key.split("/")[0] ?? "") ?? 0) + 1);
      say(
        `  not confirmed: ${(error as Error).message} (${[...byNamespace].map(([ns, c]) => `${ns} ${c}`).join(", ")})`,
      );
    }
    await quiet(cluster, USERS.controller);
    const restartWrites = cluster.audit.countSince(restartMark, USERS.controller);
    const rssSecond = controller.peakRssMiB();
    await controller.stop();

    const result = {
      n: N,
      parallelism: PARALLELISM,
      convergence_s: seconds(convergenceMs),
      floor_s: seconds(floorMs),
      ratio: round(convergenceMs / floorMs),
      p50_ms: Math.round(percentile(latencies, 50)),
      p99_ms: Math.round(percentile(latencies, 99)),
      rss_peak_mib: round(Math.max(rssFirst, rssSecond), 1),
      status_writes_per_isvc: round(statusWrites / N, 3),
      controller_writes_per_isvc: round(convergenceWrites.total / N, 3),
      resync_writes: resyncWrites.total,
      setvmodel_p50_ms: round(percentile(setVModelLatencies, 50), 1),
      setvmodel_p99_ms: round(percentile(setVModelLatencies, 99), 1),
      restart_confirm_s: Number.isNaN(restartConfirmMs) ? null : seconds(restartConfirmMs),
      restart_writes: restartWrites.total,
      controller_cpu_s: round(cpuFirst, 1),
      load_time_ms: values["load-time-ms"],
      loaded_lag_p50_ms: Math.round(percentile(loadedLags, 50)),
      loaded_lag_p99_ms: Math.round(percentile(loadedLags, 99)),
      loaded_lag_max_ms: Math.round(Math.max(0, ...loadedLags)),
      mesh_calls_per_load: round(meshCallsPerLoad, 2),
    };
    const table = [
      [
        "InferenceServices",
        `${N} (${BENCH_NAMESPACES.length} namespaces × ${BUILT_IN_RUNTIMES.length} runtimes)`,
      ],
      ["floor (bare client)", `${result.floor_s} s`],
      ["convergence", `${result.convergence_s} s (ratio ${result.ratio})`],
      ["create → Loaded", `p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms`],
      [
        "mesh loaded → status Loaded",
        `p50 ${result.loaded_lag_p50_ms} ms, p99 ${result.loaded_lag_p99_ms} ms, max ${result.loaded_lag_max_ms} ms (loads ${result.load_time_ms} ms)`,
      ],
      ["mesh calls per load", String(result.mesh_calls_per_load)],
      [
        "controller peak RSS",
        `${result.rss_peak_mib} MiB (first run ${round(rssFirst, 1)}, restart ${round(rssSecond, 1)})`,
      ],
      ["controller CPU (first run)", `${result.controller_cpu_s} s`],
      ["status writes per isvc", String(result.status_writes_per_isvc)],
      ["spec change → setVModel", `p50 ${result.setvmodel_p50_ms} ms, p99 ${result.setvmodel_p99_ms} ms`],
      ["restart: all confirmed", `${result.restart_confirm_s} s`],
    ];
    console.log("");
    for (const [label, value] of table) console.log(`${(label as string).padEnd(30)} ${value}`);
    console.log("controller writes:");
    console.log(writesLine("  convergence", convergenceWrites));
    console.log(writesLine("  full resync", resyncWrites));
    console.log(writesLine("  restart", restartWrites));
    if (reconciles !== "") console.log(`reconciles (convergence): ${reconciles}`);
    console.log(`controller logs: ${logDir}`);
    console.log(JSON.stringify(result));
  } finally {
    for (const c of controllers) await c.stop();
    if (process.env.BENCH_KEEP_AUDIT === "1")
      copyFileSync(cluster.audit.file, path.join(logDir, "audit.log"));
    await cluster.stop();
  }
}

await main();
process.exit(0);
