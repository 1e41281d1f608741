// What a telemetry drain sends in one request: a batch of log lines as OTLP, or one passed-through traces/metrics body.
import { gzipSync } from 'node:zlib';
import type { LogLine } from '../../core/log-line.js';
import { l10 } from '../../core/stream-errors.js';
import { encodeLogsRequest } from '../../wire/otlp/logs-out.js';
import type { SignalPayload } from '../../wire/otlp/types.js';
import type { DrainBuffer, Loss } from '../buffer.js';

/** Fixed once built, so every retry sends the same bytes. */
export interface OtlpBatch {
  signal: 'logs' | 'traces' | 'metrics';
  /** ExportLogsServiceRequest protobuf (not compressed) for logs; the body as received otherwise. */
  body: Buffer;
  contentType: string;
  contentEncoding: 'gzip' | undefined;
  /** Log lines in the batch (what delivered/dropped count); 0 for a passed-through request. */
  lines: number;
  loss: Loss | undefined;
  attempts: number;
}

/** Rough protobuf size of a line: its message plus ~120 bytes of fields, resource and attributes. */
const approxBytes = (l: LogLine): number => l.msg.length + 120;

/**
 * Takes up to `maxMessages` lines (and about `maxBytes` of them; the first goes whatever its
 * size) from the buffer as one ExportLogsServiceRequest. A pending loss becomes an L10 record
 * in front. Undefined when no line waits.
 */
export function takeLogsBatch(buffer: DrainBuffer, appName: string, maxBytes: number, maxMessages: number): OtlpBatch | undefined {
  if (buffer.length === 0) return undefined;
  const loss = buffer.takeLoss();
  const lines: LogLine[] = loss ? [l10(loss.count, loss.since)] : [];
  let bytes = 0;
  let taken = 0;
  for (let line = buffer.peek(); line !== undefined && taken < maxMessages; line = buffer.peek()) {
    const b = approxBytes(line);
    if (taken > 0 && bytes + b > maxBytes) break;
    buffer.shift();
    lines.push(line);
    bytes += b;
    taken++;
  }
  return { signal: 'logs', body: encodeLogsRequest(appName, lines), contentType: 'application/x-protobuf', contentEncoding: undefined, lines: taken, loss, attempts: 0 };
}

export function signalBatch(p: SignalPayload): OtlpBatch {
  return { signal: p.signal, body: p.body, contentType: p.contentType, contentEncoding: p.contentEncoding, lines: 0, loss: undefined, attempts: 0 };
}

/** The body as sent over HTTP: logs are gzipped here; passed-through bodies keep their own encoding. */
export function httpBody(b: OtlpBatch): { body: Buffer; encoding: 'gzip' | undefined } {
  if (b.signal === 'logs') return { body: gzipSync(b.body), encoding: 'gzip' };
  return { body: b.body, encoding: b.contentEncoding };
}
