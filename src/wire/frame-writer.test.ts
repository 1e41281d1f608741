// prepareLine + writeFrame write exactly the bytes of octetFrame(format…DrainMessage(line)).
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import type { LogLine } from '../core/log-line.js';
import { formatHttpDrainMessage, formatSyslogDrainMessage, octetFrame } from './drain-format.js';
import { encodeFrame, frameLayout, frameSize, newMidCache, prepareLine, prepareWire, wireMsgStart, writeFrame, writeFrameLike } from './frame-writer.js';
import { formatRfc5424 } from './rfc5424.js';
import { parseSyslog } from './syslog.js';

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
      // A fan-out: later drains copy the first frame and write their HOSTNAME over it (same
      // length), or write afresh (another length); each frame lands in a block of its own.
      const shorter = frameLayout(' d.1 ', ' - - ');
      const q = prepareLine(l, ' - - ');
      for (const layout of [SYSLOG, other, shorter, other, SYSLOG]) {
        const size = frameSize(q, layout.host);
        const block = Buffer.alloc(size + 7, 0x2a);
        writeFrameLike(q, layout.host, block, 7, size);
        assert.deepEqual(block.subarray(7), encodeFrame(l, layout));
      }
    }),
  );
});

// The bytes a line arrived in stand in for its fields (prepareWire) only when they are the same
// bytes; either way the frame is the string formatter's. Lines go through the real parser.
const headerField = fc.stringMatching(/^[!-~]{1,24}$/);
const wireLineArb = fc.record({
  pri: fc.integer({ min: 0, max: 191 }),
  time: headerField,
  hostname: headerField,
  token: headerField,
  procid: headerField,
  msgid: headerField,
  sd: fc.constantFrom('-', '[a b="c"]', '[x@1 k="v\\"]"][y]'),
  msg: fc.oneof(fc.string({ maxLength: 200, unit: 'binary-ascii' }), fc.string({ maxLength: 60, unit: 'grapheme' }), fc.constantFrom('', '\n', 'x\n', 'a\nb', 'é')),
  name: fc.constantFrom('app', 'heroku', 'router', 'é'),
});

test('prepareWire writes the same bytes as prepareLine, and is used for ASCII RFC 5424 frames', () => {
  let viaWire = 0;
  let total = 0;
  fc.assert(
    fc.property(fc.array(wireLineArb, { minLength: 1, maxLength: 6 }), (specs) => {
      const cache = newMidCache();
      for (const s of specs) {
        const text = formatRfc5424({ pri: s.pri, time: s.time, hostname: s.hostname, source: s.token, procid: s.procid, msgid: s.msgid, sd: s.sd, msg: s.msg });
        const parsed = parseSyslog(text, new Date());
        assert.ok(parsed.ok, text);
        const line = parsed.value;
        line.source = s.name; // what the router does
        const frame = Buffer.from(text, 'utf8');
        const at = wireMsgStart(line, frame);
        total++;
        if (Buffer.from(text, 'utf8').every((b) => b < 0x80)) {
          assert.ok(at >= 0, `an ASCII RFC 5424 frame is used as is: ${JSON.stringify(text)}`);
          viaWire++;
        } else assert.equal(at, -1);
        const p = at >= 0 ? prepareWire(line, frame, at, SYSLOG.tailText, cache) : prepareLine(line, SYSLOG.tailText);
        const out = Buffer.alloc(frameSize(p, SYSLOG.host));
        writeFrame(p, SYSLOG.host, out, 0);
        assert.equal(out.toString('utf8'), octetFrame(formatSyslogDrainMessage(line, TOKEN)));
      }
    }),
  );
  assert.ok(viaWire > total / 4, `the wire path was exercised (${viaWire} of ${total})`);
});

test('an RFC 3164 frame is never used as is (its timestamp is rewritten by the parser)', () => {
  const text = '<13>Jan  2 03:04:05 host app[1]: hello';
  const parsed = parseSyslog(text, new Date('2026-01-02T00:00:00Z'));
  assert.ok(parsed.ok);
  assert.equal(wireMsgStart(parsed.value, Buffer.from(text)), -1);
});
