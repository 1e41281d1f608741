// Micro-benchmarks of the wire codecs (src/wire/) on the bench's 200-byte lines: the per-line cost of every hop.

import { parseRfc5424 } from '../../src/wire/rfc5424.js';
import { parseRfc3164 } from '../../src/wire/rfc3164.js';
import { StreamFramer } from '../../src/wire/octet-stream.js';
import { decodeLogplexBody } from '../../src/wire/logplex1.js';
import { formatSessionLine } from '../../src/wire/session-text.js';
import { formatHttpDrainMessage, formatSyslogDrainMessage, octetFrame } from '../../src/wire/drain-format.js';
import { frameLayout, frameSize, prepareLine, writeFrame } from '../../src/wire/frame-writer.js';
import type { LogLine } from '../../src/core/log-line.js';
import { LineFactory, LINE_BYTES } from '../lib/loadgen.js';
import type { MicroBench } from './harness.js';

const factory = new LineFactory({ appName: 't.00000000-0000-4000-8000-000000000000' });
const TCP_CHUNK = 320; // frames in one 64 KiB TCP read
const HTTP_BATCH = 500; // frames in one log-shuttle POST
const tcpChunk = factory.build(0, TCP_CHUNK);
const httpBody = factory.build(0, HTTP_BATCH);
const message = factory.buildMessage(42);
const messageText = message.toString('utf8');

const pad = (s: string): string => s + ' ' + 'x'.repeat(Math.max(0, LINE_BYTES - s.length - 1));
const rfc3164Text = pad('<34>Oct 11 22:14:15 mymachine t.00000000-0000-4000-8000-000000000000[123]: seq=0000000042 t=0000000000000000');
const now = new Date();
const check3164 = parseRfc3164(rfc3164Text, now);
if (!check3164.ok) throw new Error(`the RFC 3164 sample does not parse: ${check3164.reason}`);

const parsed = parseRfc5424(messageText);
if (!parsed.ok) throw new Error(`the bench line does not parse as RFC 5424: ${parsed.reason}`);
const line: LogLine = { ...parsed.value, source: 'app' }; // as routed: APP-NAME replaced by the token's name

let frames = 0;
const framer = new StreamFramer({
  frame: () => {
    frames++;
  },
  malformed: () => {},
});

const DRAIN_TOKEN = 'd.00000000-0000-4000-8000-000000000000';
const syslogLayout = frameLayout(` ${DRAIN_TOKEN} `, ' - - ');
const CHUNK_LINES = 280; // frames of one 64 KiB syslog drain write
// Distinct parsed lines, as a drain's buffer holds them (one line repeated would flatter the
// string path: V8 would flatten its fields once and reuse them).
const chunkLines: LogLine[] = [];
for (let i = 0; i < CHUNK_LINES; i++) {
  const r = parseRfc5424(factory.buildMessage(i).toString('utf8'));
  if (r.ok) chunkLines.push({ ...r.value, source: 'app' });
}

export const benchmarks: MicroBench[] = [
  { name: 'wire/rfc5424: parseRfc5424 (string)', bytesPerCall: LINE_BYTES, fn: () => parseRfc5424(messageText) },
  {
    name: 'wire/rfc5424: Buffer→string + parseRfc5424',
    bytesPerCall: LINE_BYTES,
    fn: () => parseRfc5424(message.toString('utf8')),
  },
  { name: 'wire/rfc3164: parseRfc3164', bytesPerCall: rfc3164Text.length, fn: () => parseRfc3164(rfc3164Text, now) },
  {
    name: `wire/octet-stream: StreamFramer.push (${TCP_CHUNK}-frame 64 KiB chunk)`,
    opsPerCall: TCP_CHUNK,
    bytesPerCall: tcpChunk.length,
    fn: () => {
      framer.push(tcpChunk);
      return frames;
    },
  },
  {
    name: `wire/logplex1: decodeLogplexBody (${HTTP_BATCH}-frame body)`,
    opsPerCall: HTTP_BATCH,
    bytesPerCall: httpBody.length,
    fn: () => decodeLogplexBody(httpBody),
  },
  { name: 'wire/session-text: formatSessionLine', fn: () => formatSessionLine(line) },
  { name: 'wire/drain-format: formatHttpDrainMessage', fn: () => formatHttpDrainMessage(line) },
  {
    name: 'wire/drain-format: formatSyslogDrainMessage',
    fn: () => formatSyslogDrainMessage(line, 'd.00000000-0000-4000-8000-000000000000'),
  },
  // Template literals build V8 cons-strings; the flattening is paid when the text is encoded for a
  // socket, so this variant shows the cost a drain really pays per line.
  {
    name: 'wire/drain-format: formatSyslogDrainMessage + Buffer.from',
    bytesPerCall: LINE_BYTES,
    fn: () => Buffer.from(formatSyslogDrainMessage(line, 'd.00000000-0000-4000-8000-000000000000')),
  },
  // One 64 KiB syslog drain write, both ways: strings framed, joined and encoded (the encoder
  // before the frame writer), and prepareLine + writeFrame (what a drain queue does per line).
  {
    name: `drains/syslog: ${CHUNK_LINES} frames as strings, join, Buffer.from`,
    opsPerCall: CHUNK_LINES,
    bytesPerCall: CHUNK_LINES * LINE_BYTES,
    fn: () => {
      const parts: string[] = [];
      for (const l of chunkLines) parts.push(octetFrame(formatSyslogDrainMessage(l, DRAIN_TOKEN)));
      return Buffer.from(parts.join(''), 'utf8');
    },
  },
  {
    name: `wire/frame-writer: ${CHUNK_LINES} × prepareLine + writeFrame (syslog layout)`,
    opsPerCall: CHUNK_LINES,
    bytesPerCall: CHUNK_LINES * LINE_BYTES,
    fn: () => {
      const out = Buffer.allocUnsafe(96 * 1024);
      let at = 0;
      for (const l of chunkLines) {
        const p = prepareLine(l, syslogLayout.tailText);
        writeFrame(p, syslogLayout.host, out, at);
        at += frameSize(p, syslogLayout.host);
      }
      return out.subarray(0, at);
    },
  },
];
