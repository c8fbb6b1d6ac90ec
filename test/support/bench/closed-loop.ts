/**
 * A closed-loop load: `concurrency` senders, each sending its next request as soon as its last one is answered,
 * until `requests` have been sent. Records each request's latency and the run's wall time; the first failure
 * ends the run (a benchmark of wrong answers measures nothing).
 */

export interface LoadRun {
  /** Per request, in the order sent. */
  readonly latenciesMs: readonly number[];
  readonly wallMs: number;
}

export async function closedLoop(
  send: () => Promise<void>,
  { requests, concurrency }: { readonly requests: number; readonly concurrency: number },
): Promise<LoadRun> {
  const latenciesMs = new Array<number>(requests).fill(0);
  let next = 0;
  let failure: unknown;
  const sender = async () => {
    while (next < requests && failure === undefined) {
      const index = next++;
      const started = performance.now();
      try {
        await send();
      } catch (error) {
        failure ??= error;
        return;
      }
      latenciesMs[index] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, sender));
  const wallMs = performance.now() - started;
  if (failure !== undefined) throw failure;
  return { latenciesMs, wallMs };
}
