// Retry timing shared by drains and the shipper: jittered exponential backoff, Retry-After, error text.

/** Attempt n (1-based) waits a random time in [½, 1] × min(max, base × 2^(n−1)). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** `Retry-After` as seconds or an HTTP date → milliseconds from now; undefined when absent or bad. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const trimmed = v.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A short description of a network error: its code and message, never a URL with userinfo. */
export function describeError(err: unknown): string {
  let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  // undici wraps socket errors; the cause says more.
  if (e && typeof e.cause === 'object' && e.cause !== null && (e.message === 'fetch failed' || !e.code)) {
    e = e.cause as typeof e;
  }
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  const clean = msg.replace(/\/\/[^/@\s]*@/g, '//').replace(/["\n]/g, ' ').slice(0, 200);
  return code && !clean.includes(code) ? `${code}: ${clean}` : clean;
}
