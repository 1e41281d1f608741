// The TLS errors that mean "the certificate is wrong" (L14), and what an HTTP attempt's answer or failure means; retry timing lives in core/backoff.ts.
import { describeError, parseRetryAfter } from '../core/backoff.js';

export { backoffDelay, describeError, parseRetryAfter } from '../core/backoff.js';

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

/**
 * What one HTTP answer means for a drain's batch (HTTP and otlphttp drains alike): taken, refused
 * for good (a 4xx other than 408/429), or to be retried, honouring Retry-After on 429 and 503.
 */
export function httpAnswer(
  status: number,
  retryAfter: string | string[] | undefined,
): { kind: 'delivered'; status: number } | { kind: 'rejected'; status: number } | { kind: 'retry'; status: number; error: string; retryAfterMs: number | undefined } {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return { kind: 'rejected', status };
  return { kind: 'retry', status, error: `HTTP ${status}`, retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined };
}

/** A request that got no answer (connection, TLS, the attempt's timeout on `signal`): retried, naming a certificate problem. */
export function attemptFailed(err: unknown, signal: AbortSignal): { kind: 'retry'; error: string; cert: string | undefined } {
  const cert = certFailure(err);
  const reason = signal.aborted ? `timeout: ${describeError(signal.reason)}` : describeError(err);
  return { kind: 'retry', error: cert ? `certificate: ${cert}` : reason, cert };
}
