/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. How long an emulated load takes: a fixed number of
 * milliseconds, or a uniform range (`min-max`) so that loads started together finish in a spread like real pulls.
 */

export type LoadTime = number | { readonly minMs: number; readonly maxMs: number };

/** Parses `300` or `200-400` (milliseconds), as `--load-time-ms` takes it. */
export function parseLoadTime(text: string): LoadTime {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (!match) throw new Error(`load time must be <ms> or <min>-<max> in milliseconds, got "${text}"`);
  const min = Number(match[1]);
  if (match[2] === undefined) return min;
  const max = Number(match[2]);
  if (max < min) throw new Error(`load time range ${text} ends before it starts`);
  return { minMs: min, maxMs: max };
}

/** One load's duration. */
export function sampleLoadTime(loadTime: LoadTime, random: () => number = Math.random): number {
  if (typeof loadTime === "number") return loadTime;
  return loadTime.minMs + Math.round(random() * (loadTime.maxMs - loadTime.minMs));
}
