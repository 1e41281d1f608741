// The tagged result every codec in wire/ returns: bad input is a value, never an exception.

/**
 * Outcome of parsing one message. Parsers on the hot path return this instead of throwing so
 * that a malformed line costs one small object, not a stack trace, and the caller decides
 * whether to count, drop or reject it.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A successful result. */
export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

/**
 * A failed result. Typed as `Parsed<never>` so it is assignable to any `Parsed<T>` without a
 * cast at the call site.
 */
export function fail(reason: string): Parsed<never> {
  return { ok: false, reason };
}
