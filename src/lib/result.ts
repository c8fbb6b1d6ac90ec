/**
 * A value, or why there is none: what parsers, checks and builders return instead of throwing. The reason is a
 * message for a person (many are upstream's, word for word).
 */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(error: string): Result<T> {
  return { ok: false, error };
}

/** The success of a check that has no value to return. */
export const OK: Result<void> = ok(undefined);
