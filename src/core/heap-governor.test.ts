// The heap governor asks for a full collection once used heap passes its soft limit, and not when off.
import assert from 'node:assert/strict';
import test from 'node:test';
import { startHeapGovernor } from './heap-governor.js';

test('past its soft limit the governor collects, at most once per gap, and reports what it freed', async () => {
  const seen: Array<[number, number]> = [];
  const stop = startHeapGovernor({ softBytes: 1, everyMs: 5, minGapMs: 0, onCollect: (before, after) => seen.push([before, after]) });
  for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
  stop();
  assert.ok(seen.length >= 2, 'collected while over the limit');
  for (const [before, after] of seen) assert.ok(before > 0 && after > 0);
});

test('a soft limit of 0 turns it off', async () => {
  let n = 0;
  const stop = startHeapGovernor({ softBytes: 0, everyMs: 5, onCollect: () => n++ });
  await new Promise((r) => setTimeout(r, 50));
  stop();
  assert.equal(n, 0);
});
