import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LogLine } from '../core/log-line.js';
import { parseRfc3164 } from './rfc3164.js';

const NOW = new Date('2026-11-21T06:00:00.000Z');

function parsed(text: string, now = NOW): LogLine {
  const r = parseRfc3164(text, now);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(text)} to parse, got: ${r.reason}`);
  return r.value;
}

test("nginx's syslog output", () => {
  assert.deepEqual(parsed('<190>Nov 21 05:14:56 web nginx: GET /'), {
    pri: 190,
    time: '2026-11-21T05:14:56.000000+00:00',
    hostname: 'web',
    source: 'nginx',
    procid: '-',
    msgid: '-',
    sd: '-',
    msg: 'GET /',
  });
});

test('logger --rfc3164: TAG[pid] becomes APP-NAME and PROCID', () => {
  const line = parsed('<13>Nov 21 05:14:56 myhost t.abc[web.1]: hi');
  assert.equal(line.hostname, 'myhost');
  assert.equal(line.source, 't.abc');
  assert.equal(line.procid, 'web.1');
  assert.equal(line.msg, 'hi');
});

test('HOSTNAME may be absent', () => {
  const a = parsed('<13>Nov 21 05:14:56 t.abc[web.1]: hi');
  assert.deepEqual([a.hostname, a.source, a.procid, a.msg], ['-', 't.abc', 'web.1', 'hi']);
  const b = parsed('<190>Nov 21 05:14:56 nginx: GET /');
  assert.deepEqual([b.hostname, b.source, b.procid, b.msg], ['-', 'nginx', '-', 'GET /']);
  const c = parsed('<13>Nov 21 05:14:56 t.abc');
  assert.deepEqual([c.hostname, c.source, c.msg], ['-', 't.abc', '']);
});

test('the colon after TAG is optional', () => {
  const a = parsed('<13>Nov 21 05:14:56 myhost t.abc hi there');
  assert.deepEqual([a.hostname, a.source, a.procid, a.msg], ['myhost', 't.abc', '-', 'hi there']);
  const b = parsed('<13>Nov 21 05:14:56 myhost t.abc[7] hi');
  assert.deepEqual([b.source, b.procid, b.msg], ['t.abc', '7', 'hi']);
});

test('day padded with a space, or not padded at all', () => {
  assert.equal(parsed('<13>Nov  1 05:14:56 h t: x').time, '2026-11-01T05:14:56.000000+00:00');
  assert.equal(parsed('<13>Nov 1 05:14:56 h t: x').time, '2026-11-01T05:14:56.000000+00:00');
  assert.equal(parsed('<13>Jan 09 00:00:00 h t: x').time, '2026-01-09T00:00:00.000000+00:00');
});

test('year: current, or the previous one when the date would be more than a day ahead', () => {
  const newYear = new Date('2027-01-01T00:10:00Z');
  assert.equal(parsed('<13>Dec 31 23:59:00 h t: x', newYear).time, '2026-12-31T23:59:00.000000+00:00');
  assert.equal(parsed('<13>Jan  1 12:00:00 h t: x', newYear).time, '2027-01-01T12:00:00.000000+00:00');
  // Up to a day of sender clock skew stays in the current year.
  assert.equal(parsed('<13>Nov 22 05:00:00 h t: x').time, '2026-11-22T05:00:00.000000+00:00');
  assert.equal(parsed('<13>Nov 23 05:00:00 h t: x').time, '2025-11-23T05:00:00.000000+00:00');
  // Feb 29 resolves into the leap year it must come from.
  assert.equal(parsed('<13>Feb 29 10:00:00 h t: x', new Date('2029-01-15T00:00:00Z')).time, '2028-02-29T10:00:00.000000+00:00');
});

test('impossible dates are refused', () => {
  for (const t of ['<13>Feb 30 10:00:00 h t: x', '<13>Nov 21 25:00:00 h t: x', '<13>Nov 00 10:00:00 h t: x']) {
    const r = parseRfc3164(t, NOW);
    assert.equal(r.ok, false, t);
  }
});

test('missing timestamp: the receive time in Sluice format', () => {
  const line = parsed('<13>myhost t.abc: hi');
  assert.match(line.time, /^2026-11-21T06:00:00\.000\d{3}\+00:00$/);
  assert.deepEqual([line.hostname, line.source, line.msg], ['myhost', 't.abc', 'hi']);
  assert.equal(parsed('<13>t.abc: hi').source, 't.abc');
});

test("rsyslog's RFC 3339 timestamp is kept as sent", () => {
  const line = parsed('<13>2026-11-21T05:14:56.123+01:00 myhost t.abc: hi');
  assert.equal(line.time, '2026-11-21T05:14:56.123+01:00');
  assert.equal(line.source, 't.abc');
});

test('MSG: one space after the colon removed, the rest kept verbatim', () => {
  assert.equal(parsed('<13>Nov 21 05:14:56 h t:  two spaces\n').msg, ' two spaces\n');
  assert.equal(parsed('<13>Nov 21 05:14:56 h t:').msg, '');
  assert.equal(parsed('<13>Nov 21 05:14:56 h t: emoji 🚀 ünïcode').msg, 'emoji 🚀 ünïcode');
  assert.equal(parsed('<13>Nov 21 05:14:56 h t[]: x').procid, '-');
});

test('refusals', () => {
  for (const t of ['', 'Nov 21 05:14:56 h t: x', '<999>Nov 21 05:14:56 h t: x', '<13>Nov 21 05:14:56 h t[1: x', '<13>Nov 21 05:14:56  t: x']) {
    assert.equal(parseRfc3164(t, NOW).ok, false, JSON.stringify(t));
  }
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const word = fc.string({ unit: fc.constantFrom(...'abcxyz.-_019'), minLength: 1, maxLength: 10 });

test('property: well-formed messages come apart into their pieces', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 191 }),
      fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2026-11-21T00:00:00Z'), noInvalidDate: true }),
      fc.option(word, { nil: undefined }),
      word,
      fc.option(word, { nil: undefined }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      (pri, date, host, tag, pid, msg) => {
        const d = date.getUTCDate();
        const stamp = `${MONTHS[date.getUTCMonth()]} ${d < 10 ? ` ${d}` : d} ${date.toISOString().slice(11, 19)}`;
        const text = `<${pri}>${stamp} ${host === undefined ? '' : `${host} `}${tag}${pid === undefined ? '' : `[${pid}]`}: ${msg}`;
        const line = parsed(text, new Date('2026-11-21T00:00:00Z'));
        const seconds = Math.floor(date.getTime() / 1000) * 1000;
        if (seconds > Date.parse('2025-11-22T00:00:00Z')) assert.equal(line.time, `${date.toISOString().slice(0, 19)}.000000+00:00`);
        assert.deepEqual(
          [line.pri, line.hostname, line.source, line.procid, line.msg],
          [pri, host ?? '-', tag, pid ?? '-', msg],
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('property: arbitrary text never throws', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({ unit: fc.constantFrom('<', '>', '1', '3', ' ', ':', '[', ']', 'N', 'o', 'v', '0', '\n'), maxLength: 40 }).map((s) => `<13>${s}`),
    fc.string({ unit: fc.constantFrom(' ', ':', '[', ']', 'x', '\t'), maxLength: 30 }).map((s) => `<13>Nov 21 05:14:56 ${s}`),
  );
  fc.assert(
    fc.property(text, (t) => {
      assert.equal(typeof parseRfc3164(t, NOW).ok, 'boolean');
    }),
    { numRuns: 300 },
  );
});
