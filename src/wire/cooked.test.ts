// The cooked form copied from a frame is byte for byte formatRfc5424, and is used whenever it can be.
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import type { LogLine } from '../core/log-line.js';
import { cookedWireBound, cookedWireEnd, writeCookedWire } from './cooked.js';
import { formatRfc5424, parseRfc5424 } from './rfc5424.js';

const ascii = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const tokenChar = fc.oneof({ weight: 200, arbitrary: ascii }, { weight: 1, arbitrary: fc.constantFrom('é', '🚀') });
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const sdElement = fc
  .tuple(fc.string({ unit: ascii.filter((c) => !'="] '.includes(c)), minLength: 1, maxLength: 6 }), fc.string({ unit: ascii.filter((c) => !'\\"]'.includes(c)), maxLength: 6 }))
  .map(([id, v]) => `[${id} k="${v}"]`);
const frameArb = fc.record({
  pri: fc.integer({ min: 0, max: 191 }),
  time: token,
  hostname: token,
  token: token,
  name: fc.oneof(fc.constantFrom('app', 'heroku', 'router', 'é'), token),
  procid: token,
  msgid: token,
  // '' leaves SD out (Heroku's drain format), which the parser reads as `-` with all the rest as MSG.
  sd: fc.constantFrom('-', '', 'element').chain((s) => (s === 'element' ? sdElement : fc.constant(s))),
  msg: fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(' ', 'a', '-', '['), maxLength: 40 }) },
    fc.string({ maxLength: 20 }),
    fc.constantFrom('', ' x', '\n', 'x\n', '- y'),
  ),
});

test('property: a line cooked from its frame is exactly formatRfc5424 of the routed line, and the frame is used whenever it can be', () => {
  let fromWire = 0;
  fc.assert(
    fc.property(frameArb, (f) => {
      const text = `<${f.pri}>1 ${f.time} ${f.hostname} ${f.token} ${f.procid} ${f.msgid}${f.sd === '' ? '' : ` ${f.sd}`}${f.msg === '' ? '' : ` ${f.msg}`}`;
      const frame = Buffer.from(text, 'utf8');
      const r = parseRfc5424(text);
      if (!r.ok) return;
      const line = { ...r.value, source: f.name }; // what the router hands on
      const end = cookedWireEnd(line, frame);
      const usable = /^[\x20-\x7e]*$/.test(text) && f.sd !== '' && line.msg !== '' && line.sd === f.sd && line.msgid === f.msgid;
      if (usable) assert.ok(end > 0, `the frame stands in for ${JSON.stringify(text)}`);
      if (end < 0) return;
      fromWire++;
      const out = Buffer.alloc(4096, 0xee);
      const bound = cookedWireBound(line, frame, end);
      const size = writeCookedWire(line, frame, end, out, 7);
      assert.ok(size <= bound, `size ${size} within the bound ${bound}`);
      assert.deepEqual(out.subarray(7, 7 + size), Buffer.from(formatRfc5424(line), 'utf8'));
      assert.equal(out[7 + size], 0xee, 'nothing written past the size');
    }),
    { numRuns: 2000 },
  );
  assert.ok(fromWire > 500, `most lines came from their frame (${fromWire} of 2000)`);
});

function parsed(text: string): LogLine {
  const r = parseRfc5424(text);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(text)} to parse: ${r.reason}`);
  return { ...r.value, source: 'app' };
}

test('a frame without SD, or whose MSG was changed, or not ASCII, is not copied', () => {
  const heroku = '<190>1 2026-01-01T00:00:00Z host t.tok web.1 - hello';
  assert.equal(cookedWireEnd(parsed(heroku), Buffer.from(heroku)), -1);
  const full = '<190>1 2026-01-01T00:00:00Z host t.tok web.1 - - hello';
  assert.ok(cookedWireEnd(parsed(full), Buffer.from(full)) > 0);
  assert.equal(cookedWireEnd({ ...parsed(full), msg: 'hello!' }, Buffer.from(full)), -1);
  assert.equal(cookedWireEnd(parsed(`${full} é`), Buffer.from(`${full} é`)), -1);
  assert.equal(cookedWireEnd(parsed('<190>1 t h tok p m -'), Buffer.from('<190>1 t h tok p m -')), -1, 'no MSG');
});
