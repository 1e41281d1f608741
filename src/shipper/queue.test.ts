import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShipQueue } from './queue.js';

const at = new Date('2024-05-01T12:00:00.000Z');
const q = (capacity: number, maxBatchLines = 100) => new ShipQueue({ capacity, maxBatchLines, maxBatchBytes: 1 << 20, now: () => at });

test('a full buffer drops the oldest and the next batch starts with L12; delivery clears the count', () => {
  const queue = q(3);
  for (const m of ['m1', 'm2', 'm3', 'm4', 'm5']) queue.push(m);
  const b = queue.next()!;
  assert.equal(b.lines, 3);
  assert.match(b.frameId, /^[0-9A-F]{32}$/);
  assert.deepEqual(b.messages, [
    '<172>1 2024-05-01T12:00:00.000000+00:00 shuttle app log-shuttle - - Error L12: 2 messages dropped since 2024-05-01T12:00:00.000000+00:00.',
    'm3',
    'm4',
    'm5',
  ]);
  queue.delivered(b);
  assert.equal(queue.hasReport, false);
  assert.equal(queue.next(), undefined);
});

test('a failed batch counts its lines as lost (L13); the report is resent until a batch carrying it is delivered', () => {
  const queue = q(10);
  queue.push('a');
  queue.push('b');
  const b1 = queue.next()!;
  queue.failed(b1);
  assert.equal(queue.losses.lost, 2);
  // Nothing queued: no batch just for the report while running, one on close.
  assert.equal(queue.next(), undefined);
  const report = queue.next(true)!;
  assert.equal(report.lines, 0);
  assert.match(report.messages[0], /Error L13: 2 messages lost since /);
  queue.failed(report); // a lost report loses no lines
  queue.push('c');
  const b2 = queue.next()!;
  assert.match(b2.messages[0], /Error L13: 2 messages lost since /);
  queue.push('d');
  queue.delivered(b2);
  assert.equal(queue.losses.lost, 0);
  assert.deepEqual(queue.next()!.messages, ['d']);
});

test('batches respect the line limit, keep order, and each gets its own frame id', () => {
  const queue = q(100, 2);
  for (const m of ['1', '2', '3']) queue.push(m);
  const a = queue.next()!;
  const b = queue.next()!;
  assert.deepEqual([a.messages, b.messages], [['1', '2'], ['3']]);
  assert.notEqual(a.frameId, b.frameId);
});

test('losses carried over from an earlier run are reported first', () => {
  const queue = q(10);
  queue.carryOver({ dropped: 0, lost: 3, lostSince: new Date('2024-04-30T00:00:00Z') });
  queue.push('x');
  assert.deepEqual(queue.next()!.messages, [
    '<172>1 2024-05-01T12:00:00.000000+00:00 shuttle app log-shuttle - - Error L13: 3 messages lost since 2024-04-30T00:00:00.000000+00:00.',
    'x',
  ]);
});
