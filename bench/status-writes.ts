/**
 * Status-write floor (issue 13): how many InferenceService status writes a second the API server takes on this
 * machine with nothing else running, and the CPU each costs it and its etcd. Every status a recovery must put right
 * costs one such write, so `--objects` divided by the rate is the least time a controller can take to put that
 * many statuses right here, whatever it does.
 *
 *   npm run bench:status-writes -- [--objects 2000] [--concurrency 16] [--rounds 3]
 *
 * The API server and its etcd are the ones the tests use; the writes are merge patches of `status.modelStatus`,
 * sent as the controller's ServiceAccount (its RBAC, its API priority level) with `--concurrency` in flight. Each
 * round writes every object once. Prints a line per round, then one JSON object as the last line.
 */

import { parseArgs } from "node:util";
import { INFERENCE_SERVICES } from "../src/apis/resource-types.js";
import { loadKubeConfig, testClient } from "../test/support/kube/clients.js";
import { createInferenceServices, forEachRetried, loadPlan } from "../test/support/resilience/load.js";
import { MeshCluster } from "../test/support/resilience/mesh-cluster.js";

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "3" },
  },
});
const OBJECTS = Number(values.objects);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

const cluster = await MeshCluster.start({ withoutEmulator: true });
try {
  const items = loadPlan("w", OBJECTS);
  await createInferenceServices(cluster.client, cluster.namespace, items, { parallelism: 32 });
  const asController = testClient(loadKubeConfig(cluster.controllerKubeconfigPath));
  const cpu = () => {
    const used = cluster.cpuMsByProcess();
    return { apiServer: used["kube-apiserver"] ?? 0, etcd: used.etcd ?? 0 };
  };
  const rounds: Array<{ writesPerSecond: number; apiServerCpuMs: number; etcdCpuMs: number }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const before = cpu();
    const started = performance.now();
    await forEachRetried(items, CONCURRENCY, (item) =>
      asController.mergePatch(
        INFERENCE_SERVICES,
        { namespace: cluster.namespace, name: item.name, subresource: "status" },
        {
          status: {
            modelStatus: { lastFailureInfo: { reason: "RuntimeUnhealthy", message: `round ${round}` } },
          },
        },
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const after = cpu();
    const figures = {
      writesPerSecond: Math.round(OBJECTS / seconds),
      apiServerCpuMs: (after.apiServer - before.apiServer) / OBJECTS,
      etcdCpuMs: (after.etcd - before.etcd) / OBJECTS,
    };
    rounds.push(figures);
    console.log(
      `round ${round}: ${OBJECTS} writes in ${seconds.toFixed(2)} s = ${figures.writesPerSecond}/s; CPU per write: ` +
        `API server ${figures.apiServerCpuMs.toFixed(2)} ms, etcd ${figures.etcdCpuMs.toFixed(2)} ms`,
    );
  }
  const best = Math.max(...rounds.map((r) => r.writesPerSecond));
  const mean = (pick: (r: (typeof rounds)[number]) => number) =>
    Number((rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length).toFixed(2));
  console.log(
    JSON.stringify({
      bench: "status-writes",
      objects: OBJECTS,
      concurrency: CONCURRENCY,
      writes_per_s_best: best,
      writes_per_s: rounds.map((r) => r.writesPerSecond),
      api_server_cpu_ms_per_write: mean((r) => r.apiServerCpuMs),
      etcd_cpu_ms_per_write: mean((r) => r.etcdCpuMs),
      least_seconds_for_objects: Number((OBJECTS / best).toFixed(1)),
    }),
  );
} finally {
  await cluster.stop();
}
