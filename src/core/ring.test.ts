// Ring: bounded FIFO semantics, overwrite of the oldest, and `last(n)` order.
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { Ring } from './ring.js';

test('keeps the newest `capacity` items, oldest first', () => {
  const r = new Ring<number>(3);
  assert.equal(r.push(1), false);
  r.push(2);
  r.push(3);
  assert.equal(r.push(4), true, 'the fourth push displaces the oldest');
  assert.deepEqual(r.last(), [2, 3, 4]);
  assert.deepEqual(r.last(2), [3, 4]);
  assert.equal(r.shift(), 2);
  assert.deepEqual(r.last(), [3, 4]);
});

test('behaves like a bounded array for any sequence of pushes and shifts', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.option(fc.integer(), { nil: undefined }), { maxLength: 200 }), (cap, ops) => {
      const ring = new Ring<number>(cap);
      const model: number[] = [];
      for (const op of ops) {
        if (op === undefined) assert.equal(ring.shift(), model.shift());
        else {
          model.push(op);
          const displaced = model.length > cap;
          if (displaced) model.shift();
          assert.equal(ring.push(op), displaced);
        }
        assert.equal(ring.length, model.length);
      }
      assert.deepEqual(ring.last(), model);
    }),
    { numRuns: 200 },
  );
});
