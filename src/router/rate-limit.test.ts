// The per-app rate limit: a bucket of one second, drops counted and reported once per interval.
import assert from 'node:assert/strict';
import test from 'node:test';
import { RateLimiter } from './rate-limit.js';

test('admits up to the limit per second, per app, and reports the drops once', () => {
  const reports: [string, string][] = [];
  const rl = new RateLimiter(100, (app, text) => reports.push([app, text]), 1_000_000);
  const t0 = 1_700_000_000_000;
  assert.equal(rl.admit('a', 100, t0), true);
  assert.equal(rl.admit('a', 1, t0), false);
  assert.equal(rl.admit('a', 5, t0), false);
  assert.equal(rl.admit('b', 50, t0), true, 'another app has its own bucket');
  assert.equal(rl.admit('a', 50, t0 + 500), true, 'half a second refills half the bucket');
  assert.equal(rl.retryAfter('a', 100), 1);
  rl.flushReports(t0 + 600);
  assert.equal(reports.length, 1);
  assert.equal(reports[0][0], 'a');
  assert.match(reports[0][1], /^Input rate limit exceeded: 6 messages dropped since \S+ \(limit 100 lines\/s\)\.$/);
  rl.flushReports(t0 + 700);
  assert.equal(reports.length, 1, 'nothing new to report');
  rl.close();
});

test('0 disables the limit', () => {
  const rl = new RateLimiter(0, () => assert.fail('no reports'));
  assert.equal(rl.admit('a', 1e9), true);
  rl.close();
});
