import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRfc3164 } from './rfc3164.js';
import { parseRfc5424 } from './rfc5424.js';
import { parseSyslog } from './syslog.js';

const NOW = new Date('2026-11-21T06:00:00.000Z');

test('version 1 after the PRI means RFC 5424', () => {
  const text = '<13>1 2026-11-21T05:14:56.123456+00:00 myhost t.abc 1234 - [timeQuality tzKnown="1" isSynced="0"] hello';
  assert.deepEqual(parseSyslog(text, NOW), parseRfc5424(text));
  const r = parseSyslog(text, NOW);
  assert.ok(r.ok && r.value.time === '2026-11-21T05:14:56.123456+00:00');
});

test('anything else after the PRI is RFC 3164', () => {
  for (const text of ['<190>Nov 21 05:14:56 web nginx: GET /', '<13>Nov 21 05:14:56 myhost t.abc[web.1]: hi']) {
    assert.deepEqual(parseSyslog(text, NOW), parseRfc3164(text, NOW));
    assert.ok(parseSyslog(text, NOW).ok, text);
  }
  const unstamped = parseSyslog('<13>t.abc: no stamp', NOW);
  assert.ok(unstamped.ok && unstamped.value.msg === 'no stamp' && unstamped.value.time.startsWith('2026-11-21T06:00:00.000'));
  const r = parseSyslog('<13>Nov 21 05:14:56 myhost t.abc[web.1]: hi', NOW);
  assert.ok(r.ok);
  assert.deepEqual([r.value.source, r.value.procid, r.value.msg], ['t.abc', 'web.1', 'hi']);
});

test('a bad RFC 5424 header is refused rather than re-read as RFC 3164', () => {
  const r = parseSyslog('<13>1 t  h a p m - x', NOW);
  assert.equal(r.ok, false);
});

test('text not starting with < is refused', () => {
  for (const text of ['', 'hello', ' <13>1 t h a p m - x', '13>1 t h a p m - x']) {
    assert.equal(parseSyslog(text, NOW).ok, false, JSON.stringify(text));
  }
  assert.equal(parseSyslog('<1000>1 t h a p m - x', NOW).ok, false);
});

test('property: arbitrary text never throws', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 50 }), fc.string({ maxLength: 40 }).map((s) => `<13>${s}`)), (t) => {
      assert.equal(typeof parseSyslog(t, NOW).ok, 'boolean');
    }),
    { numRuns: 300 },
  );
});
