// The state book: every drain's state in one file, one batch per commit. What was committed is
// what the next start reads (any sequence of puts, drops, commits and restarts); a torn or junk
// batch costs only itself; superseded entries are rewritten away; a full disk keeps the states
// staged. The per-drain file earlier versions wrote (state.bin: two slots written in turn in
// place; state.json before it) is still read, and a queue upgraded from one keeps its counters.
import assert from 'node:assert/strict';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { SpoolBudget } from './budget.js';
import { frameOf } from './queue.case.js';
import { DrainQueue } from './queue.js';
import { BOOK_FILE, StateBook } from './state-book.js';
import { emptyCounters, readState, type QueueState } from './state.js';

/** What earlier versions wrote: `s` as sequence number `seq` in slot `seq % 2` of state.bin. */
function writeState(dir: string, s: QueueState, seq: number): void {
  const json = JSON.stringify(s);
  const slot = Buffer.alloc(1024);
  const len = slot.write(json, 20, 'utf8');
  slot.writeUInt32LE(0x54534c53, 0);
  slot.writeDoubleLE(seq, 8);
  slot.writeUInt32LE(len, 16);
  slot.writeUInt32LE(crc32(slot.subarray(8)), 4);
  const fd = openSync(path.join(dir, 'state.bin'), constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    writeSync(fd, slot, 0, slot.length, (seq % 2) * slot.length);
  } finally {
    closeSync(fd);
  }
}


const withDir = (f: (dir: string) => void | Promise<void>) => async (): Promise<void> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-book-'));
  try {
    await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const stateWith = (delivered: number): QueueState => ({
  counters: { ...emptyCounters(), delivered },
  nextLine: delivered,
  done: { below: delivered, hole: null },
  loss: null,
  skippedBytes: 0,
});

const n = fc.nat({ max: 2 ** 40 });
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
const arbState: fc.Arbitrary<QueueState> = rec<QueueState>({
  counters: rec({ delivered: n, dropped: n, spooled: n, corrupt: n }),
  nextLine: n,
  done: rec({ below: n, hole: fc.option(fc.tuple(n, n), { nil: null }) }),
  loss: fc.option(rec({ count: fc.integer({ min: 1, max: 2 ** 40 }), since: fc.integer({ min: 0, max: 4e12 }).map((t) => new Date(t).toISOString()) }), { nil: null }),
  skippedBytes: n,
});
const arbKey = fc.constantFrom('a', 'b', 'drain-c', 'drain-c/signals', 'é-ü');
const arbOp = fc.oneof(
  fc.record({ op: fc.constant('put' as const), key: arbKey, state: arbState }),
  fc.record({ op: fc.constant('drop' as const), key: arbKey }),
  fc.record({ op: fc.constant('commit' as const) }),
  fc.record({ op: fc.constant('restart' as const) }),
);

test('property: a start reads exactly what was committed, under any puts, drops, commits and restarts', () => {
  fc.assert(
    fc.property(fc.array(arbOp, { maxLength: 60 }), (ops) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-book-'));
      try {
        let book = new StateBook(dir);
        const committed = new Map<string, QueueState>();
        let staged = new Map<string, QueueState | null>();
        for (const o of ops) {
          if (o.op === 'put') {
            book.put(o.key, o.state);
            staged.set(o.key, o.state);
          } else if (o.op === 'drop') {
            book.drop(o.key);
            staged.set(o.key, null);
          } else if (o.op === 'commit') {
            assert.equal(book.commit(), true);
            for (const [k, v] of staged) {
              if (v === null) committed.delete(k);
              else committed.set(k, v);
            }
            staged = new Map();
          } else {
            book.close(); // a restart before a commit loses what was only staged
            book = new StateBook(dir);
            staged = new Map();
          }
          for (const k of ['a', 'b', 'drain-c', 'drain-c/signals', 'é-ü']) {
            const want = staged.has(k) ? staged.get(k) ?? undefined : committed.get(k);
            assert.deepEqual(book.get(k), want);
          }
        }
        book.close();
        const back = new StateBook(dir);
        assert.deepEqual(back.keys().sort(), [...committed.keys()].sort());
        for (const [k, v] of committed) assert.deepEqual(back.get(k), v);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 150 },
  );
});

test('one batch per commit for all drains; a torn last batch falls back to the one before', withDir((dir) => {
  const book = new StateBook(dir);
  for (let i = 0; i < 500; i++) book.put(`d${i}`, stateWith(1));
  book.commit();
  const first = statSync(path.join(dir, BOOK_FILE)).size;
  for (let i = 0; i < 500; i++) book.put(`d${i}`, stateWith(2));
  book.commit();
  book.close();
  const file = path.join(dir, BOOK_FILE);
  assert.equal(statSync(file).size, 2 * first);
  truncateSync(file, first + 100); // the second batch cut short (a crash mid-write)
  const back = new StateBook(dir);
  assert.equal(back.keys().length, 500);
  for (let i = 0; i < 500; i++) assert.equal(back.get(`d${i}`)?.counters.delivered, 1);
  back.put('d0', stateWith(3));
  assert.equal(back.commit(), true); // the torn bytes made the commit rewrite the file whole
  back.close();
  const again = new StateBook(dir);
  assert.equal(again.get('d0')?.counters.delivered, 3);
  assert.equal(again.get('d499')?.counters.delivered, 1);
  assert.equal(statSync(file).size < first + 200, true);
}));

test('junk over a batch in the middle: the batches after it are still read; junk alone is no state, never a throw', withDir((dir) => {
  const book = new StateBook(dir);
  for (let round = 1; round <= 3; round++) {
    book.put('a', stateWith(round));
    book.put(`only-${round}`, stateWith(round));
    book.commit();
  }
  book.close();
  const file = path.join(dir, BOOK_FILE);
  const b = readFileSync(file);
  const batch = b.length / 3;
  b.fill(0x5a, batch + 4, 2 * batch); // the second batch garbled past its magic
  writeFileSync(file, b);
  const back = new StateBook(dir);
  assert.equal(back.get('a')?.counters.delivered, 3);
  assert.equal(back.get('only-1')?.counters.delivered, 1);
  assert.equal(back.get('only-2'), undefined);
  assert.equal(back.get('only-3')?.counters.delivered, 3);
  writeFileSync(file, Buffer.alloc(5000, 0x53));
  assert.deepEqual(new StateBook(dir).keys(), []);
}));

test('entries superseded many times over are rewritten away: the file stays a few times its live size', withDir((dir) => {
  const book = new StateBook(dir);
  const file = path.join(dir, BOOK_FILE);
  let largest = 0;
  for (let round = 1; round <= 60; round++) {
    for (let i = 0; i < 2000; i++) book.put(`drain-${i}`, stateWith(round));
    book.commit();
    largest = Math.max(largest, statSync(file).size);
  }
  const live = 2000 * (3 + 'drain-1000'.length + 88);
  assert.ok(largest <= Math.max(1 << 20, 4 * live) + live + 16, `largest ${largest} vs live ${live}`);
  book.drop('drain-7');
  book.commit();
  book.close();
  const back = new StateBook(dir);
  assert.equal(back.keys().length, 1999);
  assert.equal(back.get('drain-1999')?.counters.delivered, 60);
  assert.equal(back.get('drain-7'), undefined);
}));

test('a commit the disk refuses keeps the states staged for the next one', withDir((dir) => {
  const book = new StateBook(path.join(dir, 'missing', 'deeper'));
  book.put('a', stateWith(5));
  // The directory cannot be made: a file stands where it should be.
  writeFileSync(path.join(dir, 'missing'), 'x');
  assert.equal(book.commit(), false);
  assert.equal(book.get('a')?.counters.delivered, 5);
  rmSync(path.join(dir, 'missing'));
  assert.equal(book.commit(), true);
  book.close();
  assert.equal(new StateBook(path.join(dir, 'missing', 'deeper')).get('a')?.counters.delivered, 5);
}));

// What earlier versions left: read, and replaced by the book.

test('the newest slot wins; a garbled newest slot falls back to the one before', withDir((dir) => {
  writeState(dir, stateWith(10), 1);
  writeState(dir, stateWith(20), 2);
  assert.equal(readState(dir)?.state.counters.delivered, 20);
  assert.equal(readState(dir)?.seq, 2);
  writeState(dir, stateWith(30), 3); // slot 1 again: slot 0 still holds seq 2
  assert.equal(readState(dir)?.state.counters.delivered, 30);
  const file = path.join(dir, 'state.bin');
  const b = readFileSync(file);
  b.fill(0x41, 1024 + 40, 1024 + 60); // seq 3 is in slot 1 (seq % 2): garbled past its header
  writeFileSync(file, b);
  const got = readState(dir);
  assert.equal(got?.seq, 2);
  assert.equal(got?.state.counters.delivered, 20);
}));

test('a state file cut short or full of junk: no state, no throw', withDir((dir) => {
  writeFileSync(path.join(dir, 'state.bin'), Buffer.alloc(700, 0x7a));
  assert.equal(readState(dir), undefined);
  writeState(dir, stateWith(5), 1);
  const file = path.join(dir, 'state.bin');
  writeFileSync(file, readFileSync(file).subarray(0, 1500)); // slot 1 (seq 1) cut in half
  assert.equal(readState(dir)?.state.counters.delivered ?? 0, 0);
}));

test('the state.json an earlier version wrote is read when there is no state.bin', withDir((dir) => {
  writeFileSync(path.join(dir, 'state.json'), JSON.stringify(stateWith(7)));
  assert.equal(readState(dir)?.state.counters.delivered, 7);
  writeState(dir, stateWith(8), 1);
  assert.equal(readState(dir)?.state.counters.delivered, 8);
}));

test('a queue upgraded from state.bin keeps its counters; the old file goes once the book has them', withDir(async (dir) => {
  const d = path.join(dir, 'd');
  mkdirSync(d);
  writeState(d, stateWith(40), 1);
  const open = (): DrainQueue =>
    new DrainQueue({ memoryBytes: 4096, blockBytes: 1024, blockLines: 100, spool: { dir: d, budget: new SpoolBudget(1 << 30, dir), maxBytes: 1 << 20 } });
  let delivered = 40;
  for (let round = 0; round < 3; round++) {
    const q = open();
    q.recover();
    assert.equal(q.counters.delivered, delivered);
    for (let i = 0; i < 50; i++) q.push(frameOf(i));
    for (let b = q.take(); b; b = q.take()) q.ack(b);
    delivered += 50;
    q.saveState();
    assert.equal(existsSync(path.join(d, 'state.bin')), false);
    assert.equal(existsSync(path.join(d, BOOK_FILE)), true);
    await q.close();
  }
}));
