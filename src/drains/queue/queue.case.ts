// The queue contract as a case suite, run by queue.test.ts against the memory-only and the
// disk-backed queue: order, blocks, budgets, exact loss counts, and (disk) restarts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Block, DrainQueue, QueueOptions } from './queue.js';

export interface QueueFactory {
  name: string;
  durable: boolean;
  /** A fresh queue; `reopen` gives the same spool to a new queue (a restart). */
  make(o: Omit<QueueOptions, 'spool'> & { spoolBytes?: number }): { q: DrainQueue; reopen(): DrainQueue; cleanup(): void };
}

/** `line <n>` frames as the encoder would write them. */
export const frameOf = (n: number): Buffer => {
  const msg = `line ${n}`;
  return Buffer.from(`${msg.length} ${msg}`);
};

/** The line numbers in a block's frames. */
export function numbersIn(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; ) {
    const sp = b.indexOf(0x20, i);
    const len = Number(b.subarray(i, sp).toString());
    out.push(Number(b.subarray(sp + 1, sp + 1 + len).toString().slice(5)));
    i = sp + 1 + len;
  }
  return out;
}

/** Delivers everything queued; returns the line numbers in order. */
export async function drainAll(q: DrainQueue): Promise<number[]> {
  const got: number[] = [];
  for (let b: Block | undefined = q.take(); b !== undefined; b = q.take()) {
    const bytes = await q.bytes(b);
    if (bytes === undefined) continue;
    got.push(...numbersIn(bytes));
    q.ack(b);
  }
  return got;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

export function queueCases(f: QueueFactory): void {
  const big = { memoryBytes: 1 << 20, blockBytes: 1024, blockLines: 50 };

  test(`${f.name}: lines come out once, in order, in blocks within the byte and line limits`, async () => {
    const { q, cleanup } = f.make(big);
    try {
      for (let i = 0; i < 500; i++) q.push(frameOf(i));
      const sizes: Array<[number, number]> = [];
      const got: number[] = [];
      for (let b = q.take(); b; b = q.take()) {
        const bytes = (await q.bytes(b))!;
        sizes.push([b.bytes, b.lines]);
        got.push(...numbersIn(bytes));
        q.ack(b);
      }
      assert.deepEqual(got, range(0, 500));
      assert.ok(sizes.every(([bytes, lines]) => bytes <= 1024 && lines <= 50));
      assert.deepEqual({ d: q.counters.delivered, x: q.counters.dropped, n: q.length }, { d: 500, x: 0, n: 0 });
    } finally {
      cleanup();
    }
  });

  test(`${f.name}: a failed attempt keeps the block first, with the same first line (its Frame-Id)`, async () => {
    const { q, cleanup } = f.make(big);
    try {
      for (let i = 0; i < 120; i++) q.push(frameOf(i));
      const a = q.take()!;
      q.untake(a);
      const b = q.take()!;
      assert.equal(b.first, a.first);
      assert.deepEqual(await drainAll(q), range(0, 120));
    } finally {
      cleanup();
    }
  });

  test(`${f.name}: past the budgets the oldest go, counted exactly and reported once as a loss`, async () => {
    const { q, cleanup } = f.make({ memoryBytes: 4096, blockBytes: 512, blockLines: 1000, spoolBytes: 64 * 1024 });
    try {
      const n = 20_000; // ~240 KB of frames: past memory, and past the spool budget too
      for (let i = 0; i < n; i++) q.push(frameOf(i));
      const got = await drainAll(q);
      assert.ok(q.counters.dropped > 0);
      assert.equal(got.length + q.counters.dropped, n);
      // The newest survive, in order.
      assert.deepEqual(got, range(n - got.length, n));
      const loss = q.takeLoss();
      assert.equal(loss?.count, q.counters.dropped);
      q.settleLoss(true);
      assert.equal(q.takeLoss(), undefined);
    } finally {
      cleanup();
    }
  });

  test(`${f.name}: a taken block is never dropped to make room`, async () => {
    const { q, cleanup } = f.make({ memoryBytes: 2048, blockBytes: 256, blockLines: 1000, spoolBytes: 32 * 1024 });
    try {
      for (let i = 0; i < 30; i++) q.push(frameOf(i));
      const head = q.take()!;
      for (let i = 30; i < 10_000; i++) q.push(frameOf(i));
      const bytes = await q.bytes(head);
      assert.deepEqual(numbersIn(bytes!).slice(0, 1), [0]);
      q.ack(head);
      const rest = await drainAll(q);
      assert.equal(numbersIn(bytes!).length + rest.length + q.counters.dropped, 10_000);
    } finally {
      cleanup();
    }
  });

  test(`${f.name}: block buffers given back on delivery are reused, and queued bytes stay intact`, async () => {
    // 1,000-line blocks of ~12 KB fill most of a 16 KiB buffer, so they are sealed without a copy.
    const { q, cleanup } = f.make({ memoryBytes: 1 << 20, blockBytes: 16_384, blockLines: 1000 });
    try {
      for (let i = 0; i < 5000; i++) q.push(frameOf(i));
      const freed = new Set<ArrayBufferLike>();
      const got: number[] = [];
      for (let k = 0; k < 2; k++) {
        const b = q.take()!;
        const bytes = (await q.bytes(b))!;
        got.push(...numbersIn(bytes));
        freed.add(bytes.buffer);
        q.ack(b, 0, true);
      }
      await new Promise((r) => setImmediate(r)); // the pool takes them back at the end of the turn
      for (let i = 5000; i < 10_000; i++) q.push(frameOf(i));
      let reused = 0;
      for (let b = q.take(); b; b = q.take()) {
        const bytes = (await q.bytes(b))!;
        if (freed.has(bytes.buffer)) reused++;
        got.push(...numbersIn(bytes));
        q.ack(b, 0, true);
      }
      assert.deepEqual(got, range(0, 10_000));
      assert.ok(reused > 0, 'a later block was written in a buffer an earlier one gave back');
    } finally {
      cleanup();
    }
  });

  if (!f.durable) return;

  test(`${f.name}: past the memory budget lines go to disk, not away`, async () => {
    const { q, cleanup } = f.make({ memoryBytes: 4096, blockBytes: 512, blockLines: 1000, spoolBytes: 16 << 20 });
    try {
      for (let i = 0; i < 20_000; i++) q.push(frameOf(i));
      const s = q.stats();
      assert.ok(s.memory_bytes <= 4096 + 512, `memory ${s.memory_bytes}`);
      assert.ok(s.disk_lines > 19_000);
      assert.deepEqual(await drainAll(q), range(0, 20_000));
      assert.equal(q.counters.dropped, 0);
    } finally {
      cleanup();
    }
  });

  test(`${f.name}: a restart delivers what was queued, same blocks, counters kept`, async () => {
    const { q, reopen, cleanup } = f.make(big);
    try {
      for (let i = 0; i < 300; i++) q.push(frameOf(i));
      const first = q.take()!;
      q.ack(first);
      const second = q.take()!; // in flight at the stop
      assert.equal(await q.close(), 300 - first.lines);
      const q2 = reopen();
      const r = q2.recover();
      assert.equal(r.lines, 300 - first.lines);
      assert.equal(q2.take()!.first, second.first, 'the batch keeps its place and identity');
      assert.deepEqual(await drainAll(q2), range(first.lines, 300));
      assert.equal(q2.counters.delivered, 300);
    } finally {
      cleanup();
    }
  });

  test(`${f.name}: a crash (no close) after a sync loses nothing that was synced`, async () => {
    const { q, reopen, cleanup } = f.make(big);
    try {
      for (let i = 0; i < 200; i++) q.push(frameOf(i));
      q.sync();
      const q2 = reopen();
      q2.recover();
      assert.deepEqual(await drainAll(q2), range(0, 200));
    } finally {
      cleanup();
    }
  });
}
