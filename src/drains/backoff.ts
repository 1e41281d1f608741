// The TLS errors that mean "the certificate is wrong" (L14); retry timing lives in core/backoff.ts.

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
