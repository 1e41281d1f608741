// What a telemetry drain sends in one request: a queue block of log lines as OTLP, or one passed-through traces/metrics body.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { SignalPayload } from '../../wire/otlp/types.js';
import type { Loss } from '../queue/loss.js';
import type { Block } from '../queue/queue.js';

/** One Export request's content, fixed once built so every retry sends the same bytes. */
export interface OtlpRequest {
  signal: 'logs' | 'traces' | 'metrics';
  /** ExportLogsServiceRequest protobuf (not compressed) for logs; the body as received otherwise. */
  body: Buffer;
  contentType: string;
  contentEncoding: 'gzip' | undefined;
}

/** A block of the drain's queue in flight, with the loss report its L10 record carries. */
export interface LogsBatch {
  signal: 'logs';
  block: Block;
  loss: Loss | undefined;
  attempts: number;
}

/** A passed-through traces or metrics request in flight: one block of the drain's signal queue. */
export interface SignalBatch {
  signal: 'traces' | 'metrics';
  request: OtlpRequest;
  block: Block;
  attempts: number;
}

export type OtlpBatch = LogsBatch | SignalBatch;

const gzipAsync = promisify(gzip);

export const signalRequest = (p: SignalPayload): OtlpRequest => ({ signal: p.signal, body: p.body, contentType: p.contentType, contentEncoding: p.contentEncoding });

export const logsRequest = (body: Buffer): OtlpRequest => ({ signal: 'logs', body, contentType: 'application/x-protobuf', contentEncoding: undefined });

/** The body as sent over HTTP: logs are gzipped here; passed-through bodies keep their own encoding. */
export async function httpBody(r: OtlpRequest): Promise<{ body: Buffer; encoding: 'gzip' | undefined }> {
  // In the thread pool: a 100 KiB block would hold the event loop for a millisecond or two.
  if (r.signal === 'logs') return { body: await gzipAsync(r.body), encoding: 'gzip' };
  return { body: r.body, encoding: r.contentEncoding };
}
