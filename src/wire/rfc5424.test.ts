import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LogLine } from '../core/log-line.js';
import { decodeLogplexBody } from './logplex1.js';
import { fieldwise, formatRfc5424, parseAfterPri, parseRfc5424, priEnd, readPri } from './rfc5424.js';

function parsed(text: string): LogLine {
  const r = parseRfc5424(text);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(text)} to parse, got: ${r.reason}`);
  return r.value;
}

function refused(text: string): string {
  const r = parseRfc5424(text);
  if (r.ok) assert.fail(`expected ${JSON.stringify(text)} to be refused, got ${JSON.stringify(r.value)}`);
  return r.reason;
}

test('logplex §4.1 input frame: 108 bytes, token in APP-NAME, cooked form of 73 bytes', () => {
  const body = Buffer.from(
    '108 <190>1 2024-01-01T00:00:00.000000+00:00 shuttle t.11111111-2222-4333-8444-555555555555 web.1 - - hello world',
  );
  const decoded = decodeLogplexBody(body);
  assert.ok(decoded.ok);
  assert.equal(decoded.frames[0].length, 108);
  const line = parsed(decoded.frames[0].toString('utf8'));
  assert.deepEqual(line, {
    pri: 190,
    time: '2024-01-01T00:00:00.000000+00:00',
    hostname: 'shuttle',
    source: 't.11111111-2222-4333-8444-555555555555',
    procid: 'web.1',
    msgid: '-',
    sd: '-',
    msg: 'hello world',
  });
  const cooked = formatRfc5424({ ...line, source: 'app' });
  assert.equal(cooked, '<190>1 2024-01-01T00:00:00.000000+00:00 shuttle app web.1 - - hello world');
  assert.equal(Buffer.byteLength(cooked), 73);
});

test('util-linux logger --rfc5424 shape keeps its structured data', () => {
  const line = parsed('<13>1 2026-11-21T05:14:56.123456+00:00 myhost t.abc 1234 - [timeQuality tzKnown="1" isSynced="0"] hello');
  assert.equal(line.pri, 13);
  assert.equal(line.source, 't.abc');
  assert.equal(line.procid, '1234');
  assert.equal(line.msgid, '-');
  assert.equal(line.sd, '[timeQuality tzKnown="1" isSynced="0"]');
  assert.equal(line.msg, 'hello');
});

test("Heroku's drain format (no SD field) reads as sd '-' with the rest as MSG, newline kept", () => {
  const line = parsed('<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n');
  assert.equal(line.msgid, '-');
  assert.equal(line.sd, '-');
  assert.equal(line.msg, 'State changed from starting to up\n');
  assert.equal(parsed('<158>1 2018-03-02T23:22:34.901697+00:00 host heroku router - at=info code=H81').msg, 'at=info code=H81');
});

test('several SD elements with escapes inside values', () => {
  const sd = '[a@1 x="q\\"]" y="\\\\"][b z="]"][c]';
  const line = parsed(`<1>1 t h a p m ${sd} the msg`);
  assert.equal(line.sd, sd);
  assert.equal(line.msg, 'the msg');
  assert.equal(parsed(`<1>1 t h a p m ${sd}`).msg, '');
});

test('bracketed text that is not well-formed SD is MSG', () => {
  for (const msg of ['[INFO]: started', '[2026-01-01 12:00] x', '[unterminated', '[a x=1] y', '[a x="1"]y']) {
    const line = parsed(`<1>1 t h a p - ${msg}`);
    assert.equal(line.sd, '-', msg);
    assert.equal(line.msg, msg);
  }
  assert.equal(parsed('<1>1 t h a p - -dash').msg, '-dash');
});

test('missing MSG, missing SD, trailing space', () => {
  assert.deepEqual(
    [parsed('<1>1 t h a p m -'), parsed('<1>1 t h a p m'), parsed('<1>1 t h a p m '), parsed('<1>1 t h a p m - ')].map((l) => [l.sd, l.msg]),
    [['-', ''], ['-', ''], ['-', ''], ['-', '']],
  );
});

test('BOM at the start of MSG is stripped; newlines and CRs in MSG are kept', () => {
  assert.equal(parsed('<1>1 t h a p m - \uFEFFhéllo').msg, 'héllo');
  assert.equal(parsed('<1>1 t h a p m [x] \uFEFFhi').msg, 'hi');
  assert.equal(parsed('<1>1 t h a p m - a\nb\r\n').msg, 'a\nb\r\n');
});

test('multi-byte UTF-8 messages pass through intact', () => {
  const msg = 'naïve café — 日本語 🚀🔥';
  const text = `<190>1 2024-01-01T00:00:00.000000+00:00 host app web.1 - - ${msg}`;
  const fromBytes = parsed(Buffer.from(text, 'utf8').toString('utf8'));
  assert.equal(fromBytes.msg, msg);
  assert.equal(Buffer.byteLength(formatRfc5424(fromBytes)), Buffer.byteLength(text));
});

test('PRI bounds and form', () => {
  assert.equal(readPri('<0>'), 0);
  assert.equal(readPri('<191>'), 191);
  for (const bad of ['<192>', '<013>', '<00>', '<>', '<1', '<1234>', '13>', '<a>', '']) assert.equal(readPri(bad), -1, bad);
  assert.equal(parsed('<0>1 t h a p m -').pri, 0);
});

test('malformed headers are refused with a reason', () => {
  assert.match(refused('hello'), /PRI/);
  assert.match(refused('<192>1 t h a p m -'), /PRI/);
  assert.match(refused('<13>2 t h a p m -'), /version/);
  assert.match(refused('<13>1'), /version/);
  assert.match(refused('<13>1 t  a p m -'), /HOSTNAME/);
  assert.match(refused('<13>1 t h a p'), /PROCID/);
  assert.match(refused('<13>1 t h a\np m - x'), /APP-NAME/);
  assert.match(refused('<13>1 t h a p m\n'), /MSGID/);
  assert.match(refused('<13>1 '), /TIMESTAMP/);
});

// Header tokens: printable, no space; some non-ASCII to check nothing assumes one byte per char.
const tokenChar = fc.oneof(
  fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('é', '日', '🚀'),
);
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const sdName = fc.string({ unit: tokenChar.filter((c) => !'="]'.includes(c)), minLength: 1, maxLength: 8 });
const sdValue = fc.string({ unit: 'binary', maxLength: 12 }).map((v) => v.replace(/[\\"\]]/g, '\\$&'));
const sdElement = fc
  .tuple(sdName, fc.array(fc.tuple(sdName, sdValue), { maxLength: 3 }))
  .map(([id, params]) => `[${id}${params.map(([k, v]) => ` ${k}="${v}"`).join('')}]`);
const sd = fc.oneof(fc.constant('-'), fc.array(sdElement, { minLength: 1, maxLength: 3 }).map((e) => e.join('')));
const msg = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 20 }).map((s) => `${s}\n`))
  .filter((m) => !m.startsWith('\uFEFF'));

const logLineArb: fc.Arbitrary<LogLine> = fc.record({
  pri: fc.integer({ min: 0, max: 191 }),
  time: token,
  hostname: token,
  source: token,
  procid: token,
  msgid: token,
  sd,
  msg,
}).map((r) => ({ ...r })); // fast-check builds null-prototype records; deepEqual compares prototypes

test('property: parse(format(x)) is x for every valid line', () => {
  fc.assert(
    fc.property(logLineArb, (line) => {
      assert.deepEqual(parsed(formatRfc5424(line)), line);
    }),
    { numRuns: 300 },
  );
});

test('property: arbitrary text never throws', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({ unit: fc.constantFrom('<', '>', '1', '3', ' ', '-', '[', ']', '"', '\\', '=', 'a', '\n'), maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(' ', '-', '[', ']', '"', '\\', '=', 'x'), maxLength: 30 }).map((s) => `<13>1 t h a p m ${s}`),
  );
  fc.assert(
    fc.property(text, (t) => {
      const r = parseRfc5424(t);
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 300 },
  );
});

test('property: the one-pass header check parses exactly what the field-by-field reference does', () => {
  // Headers built from characters around the boundaries (SP, controls, DEL, non-ASCII, '-', '[').
  const unit = fc.constantFrom('a', 'Z', '0', '-', '[', ']', '"', '=', ' ', '  ', '\t', '\n', '\x00', '\x1f', '\x7f', 'é', '\ud83d', '🚀', '\ufeff');
  const text = fc.array(unit, { maxLength: 60 }).map((u) => u.join(''));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 191 }), text, fc.boolean(), (pri, rest, dashes) => {
      const body = dashes ? rest.replace(/^/, '2026-01-01T00:00:00Z h app web.1 ') : rest;
      const full = `<${pri}>1 ${body}`;
      assert.deepEqual(parseAfterPri(full, pri), fieldwise(full, pri, priEnd(pri) + 2), JSON.stringify(full));
    }),
    { numRuns: 5000 },
  );
});
