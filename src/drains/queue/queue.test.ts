// The queue contract (queue.case.ts) against both implementations; spool corruption; and a
// property test over random interleavings of push / deliver / fail / sync / crash / restart.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { SpoolBudget } from './budget.js';
import { drainAll, frameOf, numbersIn, queueCases, type QueueFactory } from './queue.case.js';
import { BLOCKS, DrainQueue, type QueueOptions } from './queue.js';
import { HEADER_BYTES } from './record.js';

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'sluice-queue-'));

const memory: QueueFactory = {
  name: 'memory queue',
  durable: false,
  make(o) {
    return { q: new DrainQueue(o), reopen: () => new DrainQueue(o), cleanup: () => {} };
  },
};

const disk: QueueFactory = {
  name: 'disk-backed queue',
  durable: true,
  make({ spoolBytes, ...o }) {
    const dir = tmp();
    const opts = (): QueueOptions => ({ ...o, spool: { dir: path.join(dir, 'd1'), budget: new SpoolBudget(1 << 30, dir), maxBytes: spoolBytes ?? 64 << 20 } });
    return { q: new DrainQueue(opts()), reopen: () => new DrainQueue(opts()), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  },
};

queueCases(memory);
queueCases(disk);

const OPTS = { memoryBytes: 4096, blockBytes: 1024, blockLines: 100 };

function spooled(n: number): { dir: string; spool: string; open: () => DrainQueue } {
  const dir = tmp();
  const spool = path.join(dir, 'd1');
  const open = (): DrainQueue => new DrainQueue({ ...OPTS, spool: { dir: spool, budget: new SpoolBudget(1 << 30, dir), maxBytes: 64 << 20 } });
  const q = open();
  for (let i = 0; i < n; i++) q.push(frameOf(i));
  q.sync();
  return { dir, spool, open };
}

const segments = (spool: string): string[] => readdirSync(spool).filter((n) => n.endsWith('.seg')).sort().map((n) => path.join(spool, n));

test('a torn tail (segment cut mid-record) is skipped and counted; the rest is delivered', async () => {
  const { dir, spool, open } = spooled(1000);
  try {
    const seg = segments(spool).at(-1)!;
    truncateSync(seg, statSync(seg).size - 100);
    const q = open();
    const r = q.recover();
    assert.ok(r.skippedLines > 0 && r.skippedBytes > 0, JSON.stringify(r));
    const got = await drainAll(q);
    assert.equal(got.length + r.skippedLines, 1000);
    assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i));
    assert.equal(q.counters.corrupt, r.skippedLines);
    assert.equal(q.counters.dropped, r.skippedLines);
    assert.equal(q.takeLoss()?.count, r.skippedLines, 'the next delivery carries the L10');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('junk over records in the middle of a segment: skipped, counted exactly, later records delivered in order', async () => {
  const { dir, spool, open } = spooled(2000);
  try {
    const seg = segments(spool)[0];
    const b = readFileSync(seg);
    // Overwrite the second record's header and part of its payload, and the third's header.
    const firstLen = HEADER_BYTES + b.readUInt32LE(8);
    const secondLen = HEADER_BYTES + b.readUInt32LE(firstLen + 8);
    const junk = Buffer.alloc(secondLen + 40, 0x5a);
    junk.copy(b, firstLen);
    writeFileSync(seg, b);
    const q = open();
    const r = q.recover();
    const got = await drainAll(q);
    assert.ok(r.skippedLines > 0);
    assert.equal(got.length + q.counters.corrupt, 2000, `${got.length} delivered, ${q.counters.corrupt} counted`);
    assert.ok(got.every((n, i) => i === 0 || n > got[i - 1]), 'in order');
    assert.equal(got.at(-1), 1999);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a garbled payload (header intact) is found when read, skipped and counted', async () => {
  const { dir, spool, open } = spooled(500);
  try {
    const seg = segments(spool)[0];
    const b = readFileSync(seg);
    b[HEADER_BYTES + 3] ^= 0xff; // the first record's payload
    writeFileSync(seg, b);
    const q = open();
    q.recover();
    const got = await drainAll(q);
    assert.ok(q.counters.corrupt > 0);
    assert.equal(got.length + q.counters.corrupt, 500);
    assert.equal(got[0], q.counters.corrupt);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file of pure garbage in the spool does not stop the start', () => {
  const dir = tmp();
  try {
    const spool = path.join(dir, 'd1');
    const q0 = new DrainQueue({ ...OPTS, spool: { dir: spool, budget: new SpoolBudget(1 << 30, dir), maxBytes: 1 << 20 } });
    void q0;
    writeFileSync(path.join(spool, '0000000000000000.seg'), Buffer.alloc(5000, 7));
    writeFileSync(path.join(spool, 'state.json'), '{not json');
    writeFileSync(path.join(spool, 'state.bin'), Buffer.alloc(3000, 9));
    const q = new DrainQueue({ ...OPTS, spool: { dir: spool, budget: new SpoolBudget(1 << 30, dir), maxBytes: 1 << 20 } });
    const r = q.recover();
    assert.equal(r.lines, 0);
    assert.equal(r.skippedBytes, 5000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Any interleaving of push / deliver / fail / sync / crash / restart: what comes out is in
 * order; without crashes every line is delivered or counted as dropped, exactly once; with
 * crashes, every line pushed before the last sync preceding a crash arrives (at least once);
 * and lines are dropped only when the queue was past a budget.
 */
type Op =
  | { op: 'push'; n: number }
  | { op: 'deliver'; n: number }
  | { op: 'fail' }
  | { op: 'sync' }
  | { op: 'crash' }
  | { op: 'restart' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 400 }).map((n): Op => ({ op: 'push', n })) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }).map((n): Op => ({ op: 'deliver', n })) },
  { weight: 1, arbitrary: fc.constant<Op>({ op: 'fail' }) },
  { weight: 2, arbitrary: fc.constant<Op>({ op: 'sync' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ op: 'crash' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ op: 'restart' }) },
);

async function run(ops: Op[], o: { durable: boolean; memoryBytes: number; spoolBytes: number; crashes: boolean }): Promise<void> {
  const dir = tmp();
  const mk = (): DrainQueue =>
    new DrainQueue({
      memoryBytes: o.memoryBytes,
      blockBytes: 700,
      blockLines: 60,
      spool: o.durable ? { dir: path.join(dir, 'd'), budget: new SpoolBudget(1 << 30, dir), maxBytes: o.spoolBytes } : undefined,
    });
  try {
    let q = mk();
    let pushed = 0;
    let syncedBefore = 0; // lines pushed before the last sync
    let mustArrive = 0; // lines pushed before the last sync that preceded a crash
    let maxQueued = 0;
    const received: number[] = [];
    const lostWindows: Array<[number, number]> = [];
    for (const step of ops) {
      if (step.op === 'push') {
        for (let i = 0; i < step.n; i++) q.push(frameOf(pushed++));
        maxQueued = Math.max(maxQueued, q.stats().bytes);
      } else if (step.op === 'deliver') {
        for (let i = 0; i < step.n; i++) {
          const b = q.take();
          if (!b) break;
          const bytes = await q.bytes(b);
          if (bytes) received.push(...numbersIn(bytes));
          q.ack(b, 0, true); // its buffer goes back to the shared pool for later blocks to reuse
        }
        // The pool takes buffers back at the end of the turn: blocks still queued must not care.
        await new Promise((r) => setImmediate(r));
      } else if (step.op === 'fail') {
        const b = q.take();
        if (b) q.untake(b);
      } else if (step.op === 'sync') {
        q.sync();
        syncedBefore = pushed;
      } else if (o.durable && (step.op === 'restart' || (step.op === 'crash' && o.crashes))) {
        if (step.op === 'restart') {
          await q.close();
          syncedBefore = pushed;
        } else {
          mustArrive = Math.max(mustArrive, syncedBefore);
          lostWindows.push([syncedBefore, pushed]); // not synced: may be gone
        }
        q = mk();
        q.recover();
      }
    }
    received.push(...(await drainAll(q)));
    const firsts = received.filter((n, i) => received.indexOf(n) === i);
    assert.ok(firsts.every((n, i) => i === 0 || n > firsts[i - 1]), 'in order');
    const seen = new Set(received);
    if (!o.crashes || ops.every((s) => s.op !== 'crash')) {
      assert.equal(received.length, seen.size, 'each line once');
      assert.equal(q.counters.delivered, received.length);
      assert.equal(q.counters.delivered + q.counters.dropped, pushed);
      if (q.counters.dropped > 0) {
        const budget = o.durable ? o.spoolBytes : o.memoryBytes;
        // Frames here are ~10 bytes and blocks ≤ 60 lines: headers and segment granularity
        // count against the disk budget, so "past the budget" is judged with that overhead.
        assert.ok(maxQueued * (o.durable ? 8 : 1) + 1024 >= budget / 2, `dropped ${q.counters.dropped} with at most ${maxQueued} bytes queued`);
      }
    } else {
      const mayBeLost = (n: number): boolean => lostWindows.some(([a, b]) => n >= a && n < b);
      for (let n = 0; n < mustArrive; n++) assert.ok(seen.has(n) || mayBeLost(n), `line ${n} was synced before a crash and never arrived`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('property: memory queue, any interleaving: delivered + dropped = pushed, in order, drops only past the budget', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), (ops) => run(ops, { durable: false, memoryBytes: 8192, spoolBytes: 0, crashes: false })),
    { numRuns: 150 },
  );
});

test('property: disk queue with clean restarts: delivered + dropped = pushed, in order, drops only past a budget', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), (ops) => run(ops, { durable: true, memoryBytes: 2048, spoolBytes: 128 * 1024, crashes: false })),
    { numRuns: 100 },
  );
});

test('property: disk queue with crashes: every line synced before a crash arrives, in order', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), (ops) => run(ops, { durable: true, memoryBytes: 2048, spoolBytes: 64 << 20, crashes: true })),
    { numRuns: 100 },
  );
});

test('spool records are deflated when that saves a tenth, and read back byte for byte after a restart', async () => {
  const { dir, spool, open } = spooled(1000);
  try {
    const onDisk = segments(spool).reduce((n, s) => n + statSync(s).size, 0);
    const raw = Array.from({ length: 1000 }, (_, i) => frameOf(i).length).reduce((a, b) => a + b, 0);
    assert.ok(onDisk < 0.9 * raw, `compressible frames take less room on disk (${onDisk} of ${raw} bytes)`);
    const q = open();
    const r = q.recover();
    assert.equal(r.lines, 1000);
    assert.equal(q.stats().bytes, raw, 'queued bytes count the frames, not what the disk holds');
    assert.deepEqual(await drainAll(q), Array.from({ length: 1000 }, (_, i) => i));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a spilling queue keeps no block buffer once its lines are on disk (1,000 drains down must not pin 1,000 blocks; the shared pool is bounded)', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const dir = tmp();
  try {
    const q = new DrainQueue({ memoryBytes: 1 << 20, blockBytes: 64 << 10, blockLines: 1000, spool: { dir: path.join(dir, 'd1'), budget: new SpoolBudget(1 << 30, dir), maxBytes: 64 << 20 } });
    q.spillAll = true; // the receiver is failing
    const refs: WeakRef<ArrayBufferLike>[] = [];
    for (let i = 0; i < 600; i++) {
      q.push(frameOf(i));
      if (refs.at(-1)?.deref() !== q.wbuf.buffer) refs.push(new WeakRef(q.wbuf.buffer));
    }
    q.sync(); // the open block is sealed and spooled, and its memory copy let go
    assert.equal(q.stats().memory_bytes, 0);
    assert.equal(q.stats().disk_lines, 600);
    await new Promise((r) => setImmediate(r)); // WeakRefs hold their target until the turn ends
    gc();
    // A buffer a block grew out of waits in the shared pool (bounded for all queues together) for
    // the next block anywhere; none is held by the queue.
    const held = refs.map((r) => r.deref()).filter((b) => b !== undefined);
    assert.ok(held.reduce((n, b) => n + b.byteLength, 0) <= BLOCKS.freeBytes, `${held.length} block buffers reachable outside the pool`);
    assert.ok(BLOCKS.freeBytes <= BLOCKS.maxFreeBytes);
    assert.deepEqual(await drainAll(q), Array.from({ length: 600 }, (_, i) => i));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a queue holds no block buffer once its blocks are taken and delivered (a quiet drain keeps no memory)', () => {
  const q = new DrainQueue({ memoryBytes: 1 << 20, blockBytes: 64 << 10, blockLines: 1000 });
  for (let i = 0; i < 100; i++) q.push(Buffer.from(`frame ${i} ${'x'.repeat(200)}\n`));
  assert.ok(q.wbuf.length >= 100 * 200, 'the open block is written in place');
  const b = q.take();
  assert.ok(b);
  assert.equal(b.lines, 100);
  q.ack(b);
  assert.equal(q.wbuf.length, 0, 'the sealed block’s buffer is no longer referenced by the queue');
  assert.equal(q.stats().memory_bytes, 0);
  q.push(Buffer.from('again\n'));
  const c = q.take();
  assert.equal(c?.lines, 1);
  assert.equal(c?.buf?.toString(), 'again\n');
});
