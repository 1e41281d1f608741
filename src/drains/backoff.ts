// Jittered exponential backoff, and the TLS errors that mean "the certificate is wrong" (L14).

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

const CERT_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
]);

/** The certificate-validation reason of a TLS error (for L14), or undefined for any other error. */
export function certFailure(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CERT_CODES.has(code)) {
      return code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'hostname mismatch' : code.toLowerCase().replace(/_/g, ' ');
    }
  }
  return undefined;
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
