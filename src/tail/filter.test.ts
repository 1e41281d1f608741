// Session filters: source exact, dyno exact or `dyno.` prefix, type before the dot.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { LogLine } from '../core/log-line.js';
import { compileFilter } from './filter.js';

const line = (source: string, procid: string): LogLine => ({
  pri: 190, time: 't', hostname: 'h', source, procid, msgid: '-', sd: '-', msg: 'm',
});

test('no filter compiles to undefined (the fast path)', () => {
  assert.equal(compileFilter({}), undefined);
});

test('dyno matches exactly or as a prefix before a dot', () => {
  const keep = compileFilter({ dyno: 'web' })!;
  assert.equal(keep(line('app', 'web.1')), true);
  assert.equal(keep(line('app', 'web.12')), true);
  assert.equal(keep(line('app', 'web')), true);
  assert.equal(keep(line('app', 'webhook.1')), false);
  assert.equal(keep(line('app', 'worker.1')), false);
  const exact = compileFilter({ dyno: 'web.1' })!;
  assert.equal(exact(line('app', 'web.1')), true);
  assert.equal(exact(line('app', 'web.10')), false);
});

test('source is exact and combines with type', () => {
  const keep = compileFilter({ source: 'app', type: 'worker' })!;
  assert.equal(keep(line('app', 'worker.3')), true);
  assert.equal(keep(line('heroku', 'worker.3')), false);
  assert.equal(keep(line('app', 'web.1')), false);
});

const said = (msg: string, source = 'app', procid = 'web.1'): LogLine => ({ ...line(source, procid), msg });

test('search is a case-insensitive substring of the message or the header', () => {
  const keep = compileFilter({ search: 'Needle-42' })!;
  assert.equal(keep(said('found the needle-42 here')), true);
  assert.equal(keep(said('FOUND THE NEEDLE-42 HERE')), true);
  assert.equal(keep(said('needle-4 only')), false);
  const byDyno = compileFilter({ search: 'WORKER.3' })!;
  assert.equal(byDyno(said('job done', 'app', 'worker.3')), true);
  assert.equal(byDyno(said('job done', 'app', 'worker.2')), false);
});

test('search combines with the other filters', () => {
  const keep = compileFilter({ dyno: 'web', search: 'error' })!;
  assert.equal(keep(said('Error: boom', 'app', 'web.2')), true);
  assert.equal(keep(said('Error: boom', 'app', 'worker.1')), false);
  assert.equal(keep(said('all good', 'app', 'web.2')), false);
});
