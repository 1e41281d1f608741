// FrameWriter writes exactly the bytes of octetFrame(format…DrainMessage(line)), limits included.
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import type { LogLine } from '../core/log-line.js';
import { formatHttpDrainMessage, formatSyslogDrainMessage, octetFrame } from './drain-format.js';
import { FrameWriter, frameLayout } from './frame-writer.js';

const TOKEN = 'd.aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const HTTP = frameLayout(' host ', ' - ');
const SYSLOG = frameLayout(` ${TOKEN} `, ' - - ');

const field = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
const lineArb: fc.Arbitrary<LogLine> = fc.record({
  pri: fc.integer({ min: 0, max: 191 }),
  time: field,
  hostname: field,
  source: field,
  procid: field,
  msgid: field,
  sd: fc.constant('-'),
  // Lengths around powers of ten, multi-byte characters, lone surrogates and trailing newlines.
  msg: fc.oneof(fc.string({ maxLength: 120, unit: 'binary' }), fc.string({ maxLength: 1200, unit: 'grapheme' }), fc.constantFrom('', '\n', 'x\n', 'é'.repeat(40))),
});

test('the bytes of the string formatters, for HTTP and syslog layouts', () => {
  fc.assert(
    fc.property(fc.array(lineArb, { maxLength: 8 }), (lines) => {
      const http = new FrameWriter(16);
      const syslog = new FrameWriter(16);
      for (const l of lines) {
        assert.equal(http.append(l, HTTP, Infinity), true);
        assert.equal(syslog.append(l, SYSLOG, Infinity), true);
      }
      const want = (f: (l: LogLine) => string): Buffer => Buffer.from(lines.map((l) => octetFrame(f(l))).join(''), 'utf8');
      assert.deepEqual(http.take(), want(formatHttpDrainMessage));
      assert.deepEqual(syslog.take(), want((l) => formatSyslogDrainMessage(l, TOKEN)));
    }),
  );
});

test('a frame that would pass the limit is not written, and nothing of it remains', () => {
  fc.assert(
    fc.property(lineArb, lineArb, fc.integer({ min: 0, max: 3000 }), (a, b, limit) => {
      const w = new FrameWriter(64);
      w.append(a, HTTP, Infinity);
      const before = w.length;
      const frameB = Buffer.byteLength(octetFrame(formatHttpDrainMessage(b)));
      assert.equal(w.append(b, HTTP, limit), before + frameB <= limit);
      assert.equal(w.length, before + frameB <= limit ? before + frameB : before);
      assert.deepEqual(w.take().subarray(0, before), Buffer.from(octetFrame(formatHttpDrainMessage(a))));
    }),
  );
});
