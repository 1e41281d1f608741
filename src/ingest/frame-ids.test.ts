// Frame-Id de-duplication: per token, for ten minutes, with bounded memory.
import assert from 'node:assert/strict';
import test from 'node:test';
import { FrameIdCache } from './frame-ids.js';

test('a Frame-Id is remembered per token for ten minutes', () => {
  const c = new FrameIdCache();
  const t0 = 1_000_000;
  c.add('tok1', 'ABC', t0);
  assert.equal(c.has('tok1', 'ABC', t0 + 1000), true);
  assert.equal(c.has('tok2', 'ABC', t0 + 1000), false, 'another token may reuse the id');
  assert.equal(c.has('tok1', 'ABC', t0 + 10 * 60_000 + 1), false, 'forgotten after ten minutes');
});

test('memory is bounded: the oldest ids are forgotten first', () => {
  const c = new FrameIdCache(3);
  for (const id of ['a', 'b', 'c', 'd']) c.add('t', id, 5);
  assert.equal(c.has('t', 'a', 6), false);
  assert.equal(c.has('t', 'd', 6), true);
});
