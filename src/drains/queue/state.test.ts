// The drain state file: two slots written in turn in place; a torn or garbled slot falls back to
// the other one, junk never stops a start, and what earlier versions wrote is still read.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SpoolBudget } from './budget.js';
import { frameOf } from './queue.case.js';
import { DrainQueue } from './queue.js';
import { emptyCounters, readState, writeState, type QueueState } from './state.js';

const withDir = (f: (dir: string) => void | Promise<void>) => async (): Promise<void> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-state-'));
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

test('a queue keeps its counters across restarts through the slots, and writes alternate', withDir(async (dir) => {
  const open = (): DrainQueue =>
    new DrainQueue({ memoryBytes: 4096, blockBytes: 1024, blockLines: 100, spool: { dir: path.join(dir, 'd'), budget: new SpoolBudget(1 << 30, dir), maxBytes: 1 << 20 } });
  let delivered = 0;
  for (let round = 0; round < 3; round++) {
    const q = open();
    q.recover();
    assert.equal(q.counters.delivered, delivered);
    for (let i = 0; i < 50; i++) q.push(frameOf(i));
    for (let b = q.take(); b; b = q.take()) q.ack(b);
    delivered += 50;
    q.saveState();
    await q.close();
    assert.equal(readState(path.join(dir, 'd'))?.seq, 2 * round + 2); // saveState, then close
  }
}));
