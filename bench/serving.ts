/**
 * Serving benchmark (issue 16): what the mesh adds to an inference. One KServe v2 `ModelInfer` of one row of
 * scikit-learn's 8×8 digits (1×64 FP32, a known input of the sklearn example model) is sent with the same client
 * code to five places: MLServer's gRPC port directly, a bare gRPC forwarder in front of it (the floor: what Node's
 * HTTP/2 costs on both sides, test/support/bench/grpc-forwarder.ts), the mesh's gRPC port (`model_name` = the
 * InferenceService's name, as a client of the cluster sends it), the mesh's REST port
 * (`POST /v2/models/<name>/infer`, KServe v2 JSON, as rest-proxy serves it) and MLServer's own REST port.
 *
 *   npm run bench:serving -- [--requests 2000] [--concurrency 8] [--alone 400] [--warmup 300] [--rounds 8]
 *     [--client http2 | grpc-js] [--mesh-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"]
 *
 * The mesh is the ModelMesh emulator as a process of its own (test/support/emulator/main.ts) with a real MLServer
 * behind its MLServer instance; the real controller registers the example InferenceService
 * (config/example-isvcs/example-sklearn-mnist.yaml), as in the sandbox. Each target gets `--warmup` requests
 * first, then `--requests` measured ones at `--concurrency` in flight and `--alone` ones with one in flight (the
 * latency of a request that waits for no other), both split into `--rounds` slices that take turns between the
 * targets, so a change in the shared machine's load falls on all of them. Every answer is checked (concrete model
 * id, expected class). `--client` picks the gRPC client (see inference-targets.ts): the
 * client runs on the same cores as the servers, so its own CPU lowers what they can serve. The CPU columns say
 * where each request's CPU went (from /proc). Prints a table, then one JSON object as the last line.
 */

import os from "node:os";
import { parseArgs } from "node:util";
import { closedLoop } from "../test/support/bench/closed-loop.js";
import {
  GRPC_CLIENTS,
  type GrpcClient,
  grpcTarget,
  type InferenceCase,
  type InferenceTarget,
  restTarget,
  servedModelId,
} from "../test/support/bench/inference-targets.js";
import { percentile } from "../test/support/bench/load-generator.js";
import { groupCpuMs, machineBusyMs } from "../test/support/bench/process-cpu.js";
import { startServingCluster } from "../test/support/bench/serving-cluster.js";
import { processCpuMs } from "../test/support/control-plane/processes.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "8" },
    alone: { type: "string", default: "400" },
    warmup: { type: "string", default: "300" },
    rounds: { type: "string", default: "8" },
    client: { type: "string", default: "http2" },
    "mesh-node-args": { type: "string", default: "" },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const ALONE = Number(values.alone);
const WARMUP = Number(values.warmup);
const ROUNDS = Math.max(1, Math.min(Number(values.rounds), REQUESTS));
const CLIENT = values.client as GrpcClient;
if (!GRPC_CLIENTS.includes(CLIENT)) throw new Error(`--client: one of ${GRPC_CLIENTS.join(", ")}`);
const MESH_NODE_ARGS = (values["mesh-node-args"] ?? "").split(/\s+/).filter((arg) => arg !== "");
/** The target: the mesh adds at most this much at p50, and at most this much to 1/throughput. */
const TARGET_P50_ADDED_MS = 1;
const TARGET_INVERSE_THROUGHPUT_ADDED_PCT = 10;

const say = (line: string) => process.stderr.write(`${line}\n`);
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const loadAverage = () => os.loadavg().map((v) => round(v));
/** `total` split into `ROUNDS` nearly equal parts; part `r`. */
const slice = (total: number, r: number) => Math.floor(total / ROUNDS) + (r < total % ROUNDS ? 1 : 0);

type TargetKey = "direct_grpc" | "forwarder_grpc" | "mesh_grpc" | "mesh_rest" | "direct_rest";
const LABELS: Record<TargetKey, string> = {
  direct_grpc: "MLServer gRPC (direct)",
  forwarder_grpc: "bare forwarder gRPC",
  mesh_grpc: "mesh gRPC",
  mesh_rest: "mesh REST",
  direct_rest: "MLServer REST (direct)",
};
/** `front`: the process in front of MLServer (the mesh, or the bare forwarder); none for the direct targets. */
const CPU_PARTS = ["client", "front", "mlserver", "machine"] as const;
type CpuMs = Record<(typeof CPU_PARTS)[number], number>;

/** What one target's measured slices add up to. */
class Measured {
  readonly latenciesMs: number[] = [];
  wallMs = 0;
  readonly cpu: CpuMs = { client: 0, front: 0, mlserver: 0, machine: 0 };
  readonly aloneMs: number[] = [];
}

interface Figures {
  p50_ms: number;
  p99_ms: number;
  throughput_rps: number;
  /** p50 with one request in flight. */
  p50_alone_ms: number;
  /** CPU milliseconds per request: the bench's client, the process in front, MLServer, the rest of the machine. */
  cpu_ms_per_request: { client: number; front: number; mlserver: number; other: number };
}

function figures(measured: Measured): Figures {
  const n = measured.latenciesMs.length;
  const { client, front, mlserver, machine } = measured.cpu;
  return {
    p50_ms: round(percentile(measured.latenciesMs, 50), 3),
    p99_ms: round(percentile(measured.latenciesMs, 99), 3),
    throughput_rps: round((n / measured.wallMs) * 1000, 1),
    p50_alone_ms: round(percentile(measured.aloneMs, 50), 3),
    cpu_ms_per_request: {
      client: round(client / n, 3),
      front: round(front / n, 3),
      mlserver: round(mlserver / n, 3),
      other: round(Math.max(0, machine - client - front - mlserver) / n, 3),
    },
  };
}

/** What the mesh adds over the direct path: p50 (loaded, and alone) in ms, the inverse of throughput in %. */
function added(mesh: Figures, direct: Figures) {
  const p50AddedMs = round(mesh.p50_ms - direct.p50_ms, 3);
  const inverseThroughputAddedPct = round((direct.throughput_rps / mesh.throughput_rps - 1) * 100, 1);
  return {
    p50_added_ms: p50AddedMs,
    p50_ratio: round(mesh.p50_ms / direct.p50_ms, 3),
    throughput_ratio: round(mesh.throughput_rps / direct.throughput_rps, 3),
    p50_alone_added_ms: round(mesh.p50_alone_ms - direct.p50_alone_ms, 3),
    inverse_throughput_added_pct: inverseThroughputAddedPct,
    met:
      p50AddedMs <= TARGET_P50_ADDED_MS && inverseThroughputAddedPct <= TARGET_INVERSE_THROUGHPUT_ADDED_PCT,
  };
}

async function main(): Promise<void> {
  say(
    `serving benchmark: ${REQUESTS} requests per target at ${CONCURRENCY} in flight and ${ALONE} alone, ` +
      `${WARMUP} warm-up, ${ROUNDS} rounds, gRPC client ${CLIENT}; load average ${loadAverage().join(" ")}`,
  );
  const cluster = await startServingCluster({ say, meshNodeArgs: MESH_NODE_ARGS });
  const targets = new Map<TargetKey, InferenceTarget>();
  /** The process in front of MLServer, per target that has one. */
  const fronts = new Map<TargetKey, number>();
  try {
    const [row] = cluster.digits.inputs;
    const [expectedClass] = cluster.digits.expectedClasses;
    if (row === undefined || expectedClass === undefined) throw new Error("the digits example has no input");
    const inference: InferenceCase = { row, datatype: cluster.digits.datatype, expectedClass };
    const modelId = await servedModelId(cluster.mesh.grpcAddress, cluster.vmodel, inference);
    say(`${cluster.vmodel} is served as ${modelId} by MLServer ${cluster.mlserver.grpcAddress}`);
    const { mesh, mlserver, forwarder } = cluster;
    targets.set("direct_grpc", grpcTarget(CLIENT, mlserver.grpcAddress, modelId, modelId, inference));
    targets.set("forwarder_grpc", grpcTarget(CLIENT, forwarder.grpcAddress, modelId, modelId, inference));
    targets.set("mesh_grpc", grpcTarget(CLIENT, mesh.grpcAddress, cluster.vmodel, modelId, inference));
    targets.set("mesh_rest", restTarget(mesh.restUrl, cluster.vmodel, modelId, inference, CONCURRENCY));
    targets.set("direct_rest", restTarget(mlserver.restUrl, modelId, modelId, inference, CONCURRENCY));
    fronts.set("forwarder_grpc", forwarder.pid).set("mesh_grpc", mesh.pid).set("mesh_rest", mesh.pid);

    const loadStart = loadAverage();
    for (const [key, target] of targets) {
      say(`warm-up: ${WARMUP} requests to ${LABELS[key]}...`);
      await closedLoop(target.send, { requests: WARMUP, concurrency: CONCURRENCY });
    }
    const measured = new Map([...targets.keys()].map((key) => [key, new Measured()]));
    const cpuNow = (front: number | undefined): CpuMs => {
      const usage = process.cpuUsage();
      return {
        client: (usage.user + usage.system) / 1000,
        front: front === undefined ? 0 : (processCpuMs(front) ?? 0),
        mlserver: groupCpuMs(mlserver.pid),
        machine: machineBusyMs(),
      };
    };
    const controllerCpuBefore = cluster.controller.cpuSeconds();
    for (let r = 0; r < ROUNDS; r++) {
      say(
        `round ${r + 1}/${ROUNDS}: ${slice(REQUESTS, r)} requests to each target, ${slice(ALONE, r)} alone...`,
      );
      for (const [key, target] of targets) {
        const into = measured.get(key) as Measured;
        const before = cpuNow(fronts.get(key));
        const run = await closedLoop(target.send, { requests: slice(REQUESTS, r), concurrency: CONCURRENCY });
        const after = cpuNow(fronts.get(key));
        into.latenciesMs.push(...run.latenciesMs);
        into.wallMs += run.wallMs;
        for (const part of CPU_PARTS) into.cpu[part] += after[part] - before[part];
      }
      for (const [key, target] of targets) {
        const alone = await closedLoop(target.send, { requests: slice(ALONE, r), concurrency: 1 });
        (measured.get(key) as Measured).aloneMs.push(...alone.latenciesMs);
      }
    }
    const controllerCpuMs = (cluster.controller.cpuSeconds() - controllerCpuBefore) * 1000;
    const loadEnd = loadAverage();

    const results = Object.fromEntries([...measured].map(([key, m]) => [key, figures(m)])) as Record<
      TargetKey,
      Figures
    >;
    const grpc = added(results.mesh_grpc, results.direct_grpc);
    const rest = added(results.mesh_rest, results.direct_grpc);
    const restOverRest = added(results.mesh_rest, results.direct_rest);
    const floor = added(results.forwarder_grpc, results.direct_grpc);

    const columns = ["p50 ms", "p99 ms", "req/s", "alone p50"];
    console.log("");
    console.log(
      `${"target".padEnd(24)} ${columns.map((c) => c.padStart(9)).join(" ")}   ` +
        `CPU ms per request (at ${CONCURRENCY} in flight): client / in front / MLServer / other`,
    );
    for (const [key, f] of Object.entries(results) as [TargetKey, Figures][]) {
      const cpu = f.cpu_ms_per_request;
      const cells = [
        f.p50_ms.toFixed(3),
        f.p99_ms.toFixed(3),
        f.throughput_rps.toFixed(1),
        f.p50_alone_ms.toFixed(3),
      ];
      console.log(
        `${LABELS[key].padEnd(24)} ${cells.map((c) => c.padStart(9)).join(" ")}   ` +
          `${cpu.client.toFixed(3)} / ${cpu.front.toFixed(3)} / ${cpu.mlserver.toFixed(3)} / ${cpu.other.toFixed(3)}`,
      );
    }
    const signed = (value: number, digits: number) => `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;
    const verdict = (a: ReturnType<typeof added>) =>
      `p50 ${signed(a.p50_added_ms, 3)} ms, 1/throughput ${signed(a.inverse_throughput_added_pct, 1)} % ` +
      `(ratios: p50 ×${a.p50_ratio.toFixed(3)}, throughput ×${a.throughput_ratio.toFixed(3)}; ` +
      `alone: p50 ${signed(a.p50_alone_added_ms, 3)} ms)`;
    const target = `target ≤ ${TARGET_P50_ADDED_MS} ms, ≤ ${TARGET_INVERSE_THROUGHPUT_ADDED_PCT} %`;
    console.log("");
    console.log(`mesh gRPC over MLServer gRPC: ${verdict(grpc)}; ${target}: ${grpc.met ? "met" : "MISSED"}`);
    console.log(`mesh REST over MLServer gRPC: ${verdict(rest)}; ${target}: ${rest.met ? "met" : "MISSED"}`);
    console.log(`mesh REST over MLServer REST: ${verdict(restOverRest)}; for comparison`);
    console.log(`bare forwarder over MLServer gRPC: ${verdict(floor)}; the floor of a Node.js mesh`);
    console.log(
      `registration: the controller (InferenceService ${cluster.vmodel} → vmodel, served as ${modelId}); ` +
        `controller CPU during the measurement ${Math.round(controllerCpuMs)} ms`,
    );
    console.log(
      `load average: ${loadStart.join(" ")} at the start, ${loadEnd.join(" ")} at the end (2 cores)`,
    );
    console.log(`logs: ${cluster.logDir}`);
    console.log(
      JSON.stringify({
        requests: REQUESTS,
        concurrency: CONCURRENCY,
        alone: ALONE,
        warmup: WARMUP,
        rounds: ROUNDS,
        client: CLIENT,
        registration: "controller",
        ...results,
        grpc_p50_added_ms: grpc.p50_added_ms,
        grpc_p50_ratio: grpc.p50_ratio,
        grpc_throughput_ratio: grpc.throughput_ratio,
        grpc_p50_alone_added_ms: grpc.p50_alone_added_ms,
        grpc_inverse_throughput_added_pct: grpc.inverse_throughput_added_pct,
        rest_p50_added_ms: rest.p50_added_ms,
        rest_p50_ratio: rest.p50_ratio,
        rest_throughput_ratio: rest.throughput_ratio,
        rest_p50_alone_added_ms: rest.p50_alone_added_ms,
        rest_inverse_throughput_added_pct: rest.inverse_throughput_added_pct,
        rest_over_rest_p50_added_ms: restOverRest.p50_added_ms,
        rest_over_rest_inverse_throughput_added_pct: restOverRest.inverse_throughput_added_pct,
        forwarder_p50_added_ms: floor.p50_added_ms,
        forwarder_inverse_throughput_added_pct: floor.inverse_throughput_added_pct,
        targets_met: grpc.met && rest.met,
        controller_cpu_ms: Math.round(controllerCpuMs),
        load_average_start: loadStart,
        load_average_end: loadEnd,
      }),
    );
  } finally {
    for (const target of targets.values()) target.close();
    await cluster.stop();
  }
}

await main();
process.exit(0);
