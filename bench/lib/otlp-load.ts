// OTLP for the bench: a receiver that counts LogRecords without decoding them, and an OTLP/HTTP protobuf load generator.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { exportLogsRequest } from '../../src/wire/otlp/proto.js';
import { LINE_BYTES, type SendResult } from './loadgen.js';
import { CountingSink } from './sinks.js';

const gunzipAsync = promisify(gunzip);
const RECORDS_PER_REQUEST = 500;

/** Reads a protobuf varint at `i`; returns [value, next index]. */
function varint(b: Buffer, i: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = b[i++];
    v += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) return [v, i];
    shift += 7;
  }
}

/** Calls `f(start, end)` for each length-delimited field `field` of the message in b[start, end). */
function eachField(b: Buffer, start: number, end: number, field: number, f: (s: number, e: number) => void): void {
  for (let i = start; i < end; ) {
    let tag: number;
    [tag, i] = varint(b, i);
    const wire = tag & 7;
    if (wire === 2) {
      let len: number;
      [len, i] = varint(b, i);
      if (tag >>> 3 === field) f(i, i + len);
      i += len;
    } else if (wire === 0) i = varint(b, i)[1];
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`wire type ${wire} in an OTLP request`);
  }
}

/** LogRecords in an ExportLogsServiceRequest: resource_logs(1) → scope_logs(2) → log_records(2), walked without decoding. */
export function countLogRecords(b: Buffer): number {
  let n = 0;
  eachField(b, 0, b.length, 1, (rs, re) => eachField(b, rs, re, 2, (ss, se) => eachField(b, ss, se, 2, () => n++)));
  return n;
}

/** An OTLP/HTTP receiver: answers 200 to POST /v1/logs and counts the LogRecords (gunzipped, walked, not decoded). */
export class OtlpSink extends CountingSink {
  private server: http.Server | null = null;

  static async start(): Promise<OtlpSink> {
    const sink = new OtlpSink({});
    sink.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipAsync(raw) : Promise.resolve(raw);
        void body.then((b) => {
          res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': '0' }).end();
          sink.added(countLogRecords(b), raw.length);
        });
      });
    });
    sink.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => sink.server!.listen(0, '127.0.0.1', resolve));
    sink.port = (sink.server.address() as AddressInfo).port;
    return sink;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * ExportLogsServiceRequests of RECORDS_PER_REQUEST records each, built once with the official
 * proto definitions: a body about LINE_BYTES long per record, the sequence number in it.
 */
export function otlpBodies(count: number): Buffer[] {
  const T = exportLogsRequest();
  const pad = 'x'.repeat(LINE_BYTES - 60);
  return Array.from({ length: count }, (_, k) =>
    Buffer.from(
      T.encode(
        T.fromObject({
          resourceLogs: [
            {
              resource: { attributes: [{ key: 'service.instance.id', value: { stringValue: 'web.1' } }] },
              scopeLogs: [
                {
                  scope: { name: 'bench' },
                  logRecords: Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => ({
                    timeUnixNano: String(BigInt(Date.now()) * 1_000_000n + BigInt(i)),
                    severityNumber: 9,
                    severityText: 'INFO',
                    body: { stringValue: `seq=${k * RECORDS_PER_REQUEST + i} ${pad}` },
                  })),
                },
              ],
            },
          ],
        }),
      ).finish(),
    ),
  );
}

/** POSTs `lines` records to /v1/logs over 4 keep-alive connections, RECORDS_PER_REQUEST per request. */
export async function sendOtlp(port: number, token: string, lines: number, bodies: Buffer[]): Promise<SendResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const startedAt = performance.now();
  let next = 0;
  let k = 0;
  let rejected = 0;
  const rejections: string[] = [];
  const post = (body: Buffer): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/v1/logs', method: 'POST', agent, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('POST /v1/logs timed out')));
      req.on('error', reject);
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (next < lines) {
      next += RECORDS_PER_REQUEST;
      const status = await post(bodies[k++ % bodies.length]);
      if (status !== 200) {
        rejected++;
        if (rejections.length < 5) rejections.push(String(status));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: 4 }, worker));
  } finally {
    agent.destroy();
  }
  const sent = Math.ceil(lines / RECORDS_PER_REQUEST) * RECORDS_PER_REQUEST;
  return { lines: sent, bytes: sent * LINE_BYTES, startedAt, endedAt: performance.now(), rejected, rejections };
}

