// `sluice logs` colours: only the header, chosen by dyno type; other lines untouched.
import assert from 'node:assert/strict';
import test from 'node:test';
import { colourise } from './colors.js';

test('the time is dimmed and `source[dyno]:` coloured by dyno type; the message is untouched', () => {
  const out = colourise('2026-01-01T00:00:00+00:00 app[web.1]: hello [x]: y');
  assert.equal(out, '\x1b[2m2026-01-01T00:00:00+00:00\x1b[0m\x1b[32m app[web.1]:\x1b[0m hello [x]: y');
  const a = colourise('T app[worker.1]: a');
  const b = colourise('T app[worker.7]: b');
  assert.equal(a.slice(0, a.indexOf('worker')), b.slice(0, b.indexOf('worker')), 'one colour per dyno type');
});

test('lines without a `[dyno]:` header are printed as they are', () => {
  assert.equal(colourise('2026-01-01T00:00:00+00:00 app: no procid'), '2026-01-01T00:00:00+00:00 app: no procid');
  assert.equal(colourise(''), '');
});
