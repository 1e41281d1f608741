// A passed-through traces/metrics request as one record of a telemetry drain's signal queue (and spool).
import type { SignalPayload } from '../../wire/otlp/types.js';

const SIGNALS = ['traces', 'metrics'] as const;
const GZIP = 1;

/**
 * `[signal][flags][content-type length][content-type][body]`: the body stays byte for byte what
 * the sender posted, so the request can be sent again after a restart exactly as received.
 */
export function encodeSignal(p: SignalPayload): Buffer {
  const ctype = Buffer.from(p.contentType, 'latin1').subarray(0, 255);
  const head = Buffer.from([SIGNALS.indexOf(p.signal), p.contentEncoding === 'gzip' ? GZIP : 0, ctype.length]);
  return Buffer.concat([head, ctype, p.body]);
}

/** The request a record holds; undefined for bytes that are not one (counted as dropped by the caller). */
export function decodeSignal(b: Buffer): SignalPayload | undefined {
  if (b.length < 3) return undefined;
  const signal = SIGNALS[b[0]];
  const len = b[2];
  if (signal === undefined || b.length < 3 + len) return undefined;
  return {
    signal,
    contentEncoding: b[1] & GZIP ? 'gzip' : undefined,
    contentType: b.subarray(3, 3 + len).toString('latin1'),
    body: b.subarray(3 + len),
  };
}
