/**
 * Work queue throughput: keys through add → get → done, with and without Prometheus metrics, and the cost of
 * de-duplication when many adds hit few keys. Run: npx tsx bench/queue.ts
 */
import { createMetricsRegistry } from "../src/controller-runtime/metrics.js";
import { WorkQueue } from "../src/controller-runtime/workqueue.js";

async function drain(queue: WorkQueue, workers: number): Promise<number> {
  let processed = 0;
  const worker = async () => {
    for (;;) {
      if (queue.length === 0) return;
      const key = await queue.get();
      if (key === undefined) return;
      processed++;
      queue.done(key);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return processed;
}

async function run(label: string, adds: number, distinctKeys: number, withMetrics: boolean): Promise<void> {
  const queue = new WorkQueue({
    name: `bench-${label}`,
    ...(withMetrics ? { metrics: createMetricsRegistry().metrics } : {}),
  });
  const keys = Array.from({ length: distinctKeys }, (_, i) => `namespace-${i % 50}/object-${i}`);
  const started = performance.now();
  for (let i = 0; i < adds; i++) queue.add(keys[i % distinctKeys] as string, i % 3 === 0 ? "low" : "high");
  const addedAt = performance.now();
  const processed = await drain(queue, 8);
  const finished = performance.now();
  queue.shutDown();
  const addRate = adds / ((addedAt - started) / 1000);
  const processRate = processed / ((finished - addedAt) / 1000);
  console.log(
    `${label.padEnd(34)} adds ${adds.toLocaleString("en").padStart(9)}  keys ${distinctKeys.toLocaleString("en").padStart(7)}  ` +
      `add ${Math.round(addRate).toLocaleString("en").padStart(11)}/s  get+done ${Math.round(processRate).toLocaleString("en").padStart(10)}/s  processed ${processed}`,
  );
}

console.log(`node ${process.version}`);
await run("distinct keys, no metrics", 500_000, 500_000, false);
await run("distinct keys, metrics", 500_000, 500_000, true);
await run("10x duplicate adds, metrics", 1_000_000, 100_000, true);
await run("hot keys (100), metrics", 1_000_000, 100, true);
