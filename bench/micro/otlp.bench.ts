// Micro-benchmarks of the OTLP codecs (src/wire/otlp/) against logplex-1 on the bench's 200-byte lines: input decode and telemetry drain encode per line.

import { gzipSync } from 'node:zlib';
import { decodeLogplexBody } from '../../src/wire/logplex1.js';
import { parseRfc5424 } from '../../src/wire/rfc5424.js';
import { decodeLogsRequest } from '../../src/wire/otlp/logs-in.js';
import { encodeLogsRequest } from '../../src/wire/otlp/logs-out.js';
import type { LogLine } from '../../src/core/log-line.js';
import { LineFactory } from '../lib/loadgen.js';
import type { MicroBench } from './harness.js';

const BATCH = 500; // records in one SDK export / frames in one log-shuttle POST
const factory = new LineFactory({ appName: 't.00000000-0000-4000-8000-000000000000' });
const logplexBody = factory.build(0, BATCH);

const lines: LogLine[] = [];
for (let i = 0; i < BATCH; i++) {
  const r = parseRfc5424(factory.buildMessage(i).toString('utf8'));
  if (r.ok) lines.push({ ...r.value, source: 'app' });
}
// The same lines as an SDK would send them: one resource, one record each.
const otlpBody = encodeLogsRequest('bench', lines);
const otlpJson = Buffer.from(
  JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.instance.id', value: { stringValue: 'web.1' } }] },
        scopeLogs: [{ logRecords: lines.map((l) => ({ timeUnixNano: '1700000000000000000', severityNumber: 9, body: { stringValue: l.msg } })) }],
      },
    ],
  }),
);
const limits = { maxMessageBytes: 10_240, maxAttributes: 1_024 };
const check = decodeLogsRequest(otlpBody, 'protobuf', limits);
if (!check.ok || check.lines.length !== BATCH) throw new Error('the OTLP bench body does not decode');

export const benchmarks: MicroBench[] = [
  {
    name: `wire/logplex1: decodeLogplexBody + parseRfc5424 (${BATCH}-frame body, reference)`,
    opsPerCall: BATCH,
    bytesPerCall: logplexBody.length,
    fn: () => {
      const d = decodeLogplexBody(logplexBody);
      if (!d.ok) return d;
      return d.frames.map((f) => parseRfc5424(f.toString()));
    },
  },
  {
    name: `wire/otlp: decodeLogsRequest protobuf (${BATCH} records)`,
    opsPerCall: BATCH,
    bytesPerCall: otlpBody.length,
    fn: () => decodeLogsRequest(otlpBody, 'protobuf', limits),
  },
  {
    name: `wire/otlp: decodeLogsRequest OTLP/JSON (${BATCH} records)`,
    opsPerCall: BATCH,
    bytesPerCall: otlpJson.length,
    fn: () => decodeLogsRequest(otlpJson, 'json', limits),
  },
  {
    name: `wire/otlp: encodeLogsRequest (${BATCH} lines, a telemetry drain batch)`,
    opsPerCall: BATCH,
    fn: () => encodeLogsRequest('bench', lines),
  },
  {
    name: `wire/otlp: encodeLogsRequest + gzip (${BATCH} lines, as otlphttp sends)`,
    opsPerCall: BATCH,
    fn: () => gzipSync(encodeLogsRequest('bench', lines)),
  },
];
