// BufferPool: sizes, reuse, and what it refuses to take back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferPool } from './buffer-pool.js';

test('buffers come in powers of two from the minimum, and a released one is handed out again', () => {
  const pool = new BufferPool(1 << 20, 4 << 20, 4096);
  const a = pool.get(5000);
  assert.equal(a.length, 8192);
  assert.equal(pool.get(100).length, 4096);
  pool.release(a.subarray(10, 20)); // any view of it gives the whole back
  assert.equal(pool.freeBytes, 8192);
  const b = pool.get(6000);
  assert.equal(b.buffer, a.buffer);
  assert.equal(pool.freeBytes, 0);
  assert.ok(pool.fits(1 << 20) && !pool.fits((1 << 20) + 1) && !pool.fits(0) && !pool.fits(Number.NaN));
});

test('a buffer the pool did not lend, or one given back twice, is not taken', () => {
  const pool = new BufferPool(1 << 20, 4 << 20);
  assert.equal(pool.release(Buffer.allocUnsafeSlow(8192)), false); // not lent
  assert.equal(pool.release(Buffer.from('a small buffer from the shared slab')), false);
  assert.equal(pool.freeBytes, 0);
  const a = pool.get(8192);
  assert.equal(pool.release(a), true);
  assert.equal(pool.release(a), false);
  assert.equal(pool.freeBytes, 8192);
  const b = pool.get(8192);
  const c = pool.get(8192);
  assert.equal(b.buffer, a.buffer);
  assert.notEqual(c.buffer, a.buffer, 'a buffer given back twice is handed out once');
});

test('at most maxFreeBytes wait in the pool', () => {
  const pool = new BufferPool(1 << 20, 64 << 10, 4096);
  const bufs = Array.from({ length: 6 }, () => pool.get(16 << 10));
  for (const b of bufs) pool.release(b);
  assert.equal(pool.freeBytes, 64 << 10);
});
