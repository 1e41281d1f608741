// prepareLine + writeFrame write exactly the bytes of octetFrame(format…DrainMessage(line)).
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import type { LogLine } from '../core/log-line.js';
import { formatHttpDrainMessage, formatSyslogDrainMessage, octetFrame } from './drain-format.js';
import { encodeFrame, frameLayout, frameSize, prepareLine, writeFrame } from './frame-writer.js';

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
      const write = (layout: typeof HTTP): Buffer => {
        const out = Buffer.alloc(64 * 1024);
        let at = 0;
        for (const l of lines) {
          const p = prepareLine(l, layout.tailText);
          writeFrame(p, layout.host, out, at);
          at += frameSize(p, layout.host);
        }
        return out.subarray(0, at);
      };
      const want = (f: (l: LogLine) => string): Buffer => Buffer.from(lines.map((l) => octetFrame(f(l))).join(''), 'utf8');
      assert.deepEqual(write(HTTP), want(formatHttpDrainMessage));
      assert.deepEqual(write(SYSLOG), want((l) => formatSyslogDrainMessage(l, TOKEN)));
    }),
  );
});

test('one prepared line serves every layout with the same tail (encode once, per drain only the HOSTNAME)', () => {
  fc.assert(
    fc.property(lineArb, (l) => {
      const other = frameLayout(' d.11111111-2222-4333-8444-555555555555 ', ' - - ');
      const p = prepareLine(l, ' - - ');
      for (const layout of [SYSLOG, other]) {
        const b = Buffer.alloc(frameSize(p, layout.host));
        writeFrame(p, layout.host, b, 0);
        assert.deepEqual(b, encodeFrame(l, layout));
      }
    }),
  );
});
