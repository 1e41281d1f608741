import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine } from '../core/log-line.js';
import { DrainBuffer } from './buffer.js';

const line = (msg: string): LogLine => ({ pri: 190, time: '-', hostname: 'h', source: 'app', procid: 'web.1', msgid: '-', sd: '-', msg });

test('keeps the newest lines and counts every displaced one with the time of the first drop', () => {
  const b = new DrainBuffer(3);
  const before = new Date();
  for (let i = 0; i < 10; i++) b.push(line(String(i)));
  assert.equal(b.length, 3);
  assert.deepEqual([b.shift()?.msg, b.shift()?.msg, b.shift()?.msg], ['7', '8', '9']);
  const loss = b.takeLoss();
  assert.equal(loss?.count, 7);
  assert.ok(loss!.since >= before && loss!.since <= new Date());
  assert.equal(b.takeLoss(), undefined, 'a report is taken once');
  assert.equal(b.dropped, 7);
});

test('a restored report merges with new losses without counting twice; the earliest time wins', () => {
  const b = new DrainBuffer(2);
  b.drop(5, new Date('2024-01-01T00:00:10Z'));
  const first = b.takeLoss()!;
  b.drop(2, new Date('2024-01-01T00:00:20Z'));
  b.restore(first);
  const merged = b.takeLoss()!;
  assert.equal(merged.count, 7);
  assert.equal(merged.since.toISOString(), '2024-01-01T00:00:10.000Z');
  assert.equal(b.dropped, 7);
});

test('discard empties the buffer and counts the lines as dropped', () => {
  const b = new DrainBuffer(4);
  b.push(line('a'));
  b.push(line('b'));
  assert.equal(b.discard(), 2);
  assert.equal(b.length, 0);
  assert.equal(b.dropped, 2);
});
