// Telemetry drains' queue encoding: each line becomes one serialized ExportLogsServiceRequest.
import type { LogLine } from '../../core/log-line.js';
import { encodeLogsRequest } from '../../wire/otlp/logs-out.js';
import type { FrameEncoder } from '../encoder.js';
import type { DrainQueue } from '../queue/queue.js';

/**
 * Protobuf merges repeated fields of concatenated messages of one type, so a run of per-line
 * ExportLogsServiceRequests is itself one valid request holding every line's ResourceLogs in
 * order: a queue block (or an L10 record put in front of one) is sent as it is, no re-encoding.
 * The line is encoded once per app and the same bytes queued for every telemetry drain of it.
 */
export class OtlpEncoder implements FrameEncoder<Buffer> {
  readonly key: string;

  constructor(private readonly appName: string) {
    this.key = `otlp:${appName}`;
  }

  prepare(line: LogLine): Buffer {
    return encodeLogsRequest(this.appName, [line]);
  }

  put(p: Buffer, q: DrainQueue): void {
    q.push(p);
  }

  frame(line: LogLine): Buffer {
    return encodeLogsRequest(this.appName, [line]);
  }
}

export const otlpEncoder = (appName: string): OtlpEncoder => new OtlpEncoder(appName);
