// Frame-Id de-duplication: per token, for ten minutes, bounded in bytes, one token never evicting another's ids.
import assert from 'node:assert/strict';
import test from 'node:test';
import { FrameIdCache, MAX_FRAME_ID_LENGTH } from './frame-ids.js';

test('a Frame-Id is remembered per token for ten minutes', () => {
  const c = new FrameIdCache();
  const t0 = 1_000_000;
  c.add('tok1', 'ABC', t0);
  assert.equal(c.has('tok1', 'ABC', t0 + 1000), true);
  assert.equal(c.has('tok2', 'ABC', t0 + 1000), false, 'another token may reuse the id');
  assert.equal(c.has('tok1', 'ABC', t0 + 10 * 60_000 + 1), false, 'forgotten after ten minutes');
  assert.equal(c.bytes, 256, 'expired ids give their bytes back (only the per-token overhead is left)');
});

test('memory is bounded in bytes: the oldest ids are forgotten first', () => {
  const c = new FrameIdCache({ maxBytes: 1 << 20, maxBytesPerToken: 1000 });
  for (let i = 0; i < 1000; i++) c.add('t', `id-${i}`, 5);
  assert.ok(c.bytes <= 1000 + 256, `held ${c.bytes} bytes`);
  assert.equal(c.has('t', 'id-0', 6), false);
  assert.equal(c.has('t', 'id-999', 6), true);
});

test('a flood of long unique ids from one token stays within the budget and evicts none of another token’s ids', () => {
  const maxBytes = 4 << 20;
  const c = new FrameIdCache({ maxBytes });
  const t0 = 1_000_000;
  c.add('victim', 'retry-me', t0);
  const long = 'x'.repeat(MAX_FRAME_ID_LENGTH - 8);
  for (let i = 0; i < 200_000; i++) c.add('attacker', `${long}${String(i).padStart(8, '0')}`, t0 + 1);
  assert.ok(c.bytes <= maxBytes, `held ${c.bytes} bytes for a ${maxBytes}-byte budget`);
  assert.ok(c.size < 200_000 / 4, `${c.size} ids kept of 200,000`);
  assert.equal(c.has('victim', 'retry-me', t0 + 2), true, "the victim's retry is still de-duplicated");
});

test('many tokens flooding together: the overall budget holds and the quietest token keeps its id', () => {
  const maxBytes = 1 << 20;
  const c = new FrameIdCache({ maxBytes, maxBytesPerToken: 256 << 10 });
  c.add('quiet', 'once', 1);
  for (let i = 0; i < 50_000; i++) c.add(`noisy-${i % 40}`, `${'y'.repeat(100)}${i}`, 2);
  assert.ok(c.bytes <= maxBytes, `held ${c.bytes} bytes for a ${maxBytes}-byte budget`);
  assert.equal(c.has('quiet', 'once', 3), true);
});
