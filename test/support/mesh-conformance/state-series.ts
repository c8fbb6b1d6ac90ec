/**
 * TEST INFRASTRUCTURE — comparing polled answers. The recorder polled every 200 ms; a replay on a scaled-down
 * timeline polls at other instants, so it is compared as the sequence of distinct states, with one allowance: a
 * state the recording saw in a single poll only (a transient one, such as a vmodel not yet created when a
 * concurrent poll arrived) may be missed. Otherwise the replay must see the same states in the same order, no
 * other state, and end in the same state.
 */

export interface StateRun {
  readonly state: string;
  /** Consecutive polls that answered it. */
  readonly polls: number;
}

export function distinctRuns(states: readonly string[]): StateRun[] {
  const runs: StateRun[] = [];
  for (const state of states) {
    const last = runs.at(-1);
    if (last?.state === state) runs[runs.length - 1] = { state, polls: last.polls + 1 };
    else runs.push({ state, polls: 1 });
  }
  return runs;
}

/** Why the replayed polls do not match the recorded ones, or undefined when they do. */
export function seriesMismatch(recorded: readonly string[], replayed: readonly string[]): string | undefined {
  const expected = distinctRuns(recorded);
  const seen = distinctRuns(replayed).map((run) => run.state);
  if (expected.length === 0) return seen.length === 0 ? undefined : "polls the recording does not have";
  if (seen.at(-1) !== expected.at(-1)?.state) return "ends in another state";
  let at = 0;
  for (const state of seen) {
    while (at < expected.length && expected[at]?.state !== state) {
      if ((expected[at]?.polls ?? 0) > 1)
        return `misses a state the recording polled more than once: ${expected[at]?.state}`;
      at++;
    }
    if (at === expected.length) return `a state the recording does not have, or out of order: ${state}`;
    at++;
  }
  return undefined;
}
