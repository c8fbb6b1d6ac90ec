/** Outcome of a builder: a value, or a message saying what in the input must change. Builders never throw. */
export type BuildResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function built<T>(value: T): BuildResult<T> {
  return { ok: true, value };
}

export function failed<T>(error: string): BuildResult<T> {
  return { ok: false, error };
}
