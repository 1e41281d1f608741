// The heap governor asks for a full collection once used heap passes its soft limit, and not when off.
import assert from 'node:assert/strict';
import test from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startHeapGovernor } from './heap-governor.js';

test('past its soft limit the governor collects, at most once per gap, and reports what it freed', async () => {
  const seen: Array<[number, number]> = [];
  const stop = startHeapGovernor({ softBytes: 1, growth: 0, everyMs: 5, minGapMs: 0, onCollect: (before, after) => seen.push([before, after]) });
  for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
  stop();
  assert.ok(seen.length >= 2, 'collected while over the limit');
  for (const [before, after] of seen) assert.ok(before > 0 && after > 0);
});

test('after a collection the next waits until the old generation has grown by the growth factor', async () => {
  const seen: Array<[number, number]> = [];
  const stop = startHeapGovernor({ softBytes: 1, growth: 1.5, everyMs: 5, minGapMs: 0, onCollect: (before, after) => seen.push([before, after]) });
  const wait = async (until: () => boolean): Promise<void> => {
    for (let i = 0; i < 400 && !until(); i++) await new Promise((r) => setTimeout(r, 5));
  };
  await wait(() => seen.length >= 1);
  assert.equal(seen.length, 1, 'one collection once past the soft limit');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(seen.length, 1, 'none while the heap stays near what the last one left');
  const live = seen[0][1];
  // Live data worth the growth factor (strings of 1 KiB, old enough to be promoted).
  const keep: string[] = [];
  for (let i = 0; keep.length * 1024 < live; i++) keep.push(String(i).padEnd(1024, '.'));
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)(); // a full collection promotes what survives it
  await wait(() => seen.length >= 2);
  stop();
  assert.equal(seen.length, 2, 'one more once the old generation grew past 1.5 × what was live');
  assert.ok(seen[1][0] >= 1.5 * live, `collected at ${seen[1][0]} bytes, past 1.5 × ${live}`);
  assert.ok(keep.length > 0);
});

test('a soft limit of 0 turns it off', async () => {
  let n = 0;
  const stop = startHeapGovernor({ softBytes: 0, everyMs: 5, onCollect: () => n++ });
  await new Promise((r) => setTimeout(r, 50));
  stop();
  assert.equal(n, 0);
});
