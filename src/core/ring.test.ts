// Ring: bounded FIFO semantics, overwrite of the oldest, `last(n)` order, and `mapRange` by absolute number.
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

test('mapRange converts exactly the held entries of an absolute range, across later pushes', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.oneof(fc.constant('shift' as const), fc.nat(40), fc.tuple(fc.nat(60), fc.nat(20))), { maxLength: 120 }),
      (cap, ops) => {
        const ring = new Ring<number>(cap);
        // The model: every push's absolute number, and what each held entry currently is.
        let model: { n: number; v: number }[] = [];
        let pushed = 0;
        for (const op of ops) {
          if (op === 'shift') {
            assert.equal(ring.shift(), model.shift()?.v);
          } else if (typeof op === 'number') {
            ring.push(op);
            model.push({ n: pushed++, v: op });
            if (model.length > cap) model = model.slice(1);
          } else {
            const [from, len] = op;
            const want = model.filter((e) => e.n >= from && e.n < from + len).map((e) => -e.v - 1);
            assert.deepEqual(ring.mapRange(from, from + len, (v) => -v - 1), want);
            model = model.map((e) => (e.n >= from && e.n < from + len ? { n: e.n, v: -e.v - 1 } : e));
          }
          assert.equal(ring.total, pushed);
          assert.deepEqual(ring.last(), model.map((e) => e.v));
        }
      },
    ),
    { numRuns: 300 },
  );
});
