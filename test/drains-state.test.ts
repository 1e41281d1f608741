// Every drain's counters live in one file (`spool/drains.state`), written once a second for all
// drains that changed: they survive a restart, a deleted drain leaves no state behind, and
// per-drain state files from an earlier version are read once and removed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BOOK_FILE, StateBook } from '../src/drains/queue/state-book.js';
import { harness, httpReceiver, logLine, until } from './drains-support.js';

const T = { timeout: 60_000 };

test('three drains, one state file: counters survive a restart; a deleted drain leaves no state', T, async () => {
  const rx = await httpReceiver();
  let h = await harness({ queue: { syncMs: 20 } });
  try {
    const drains = [await h.addDrain(`http://127.0.0.1:${rx.port}/a`), await h.addDrain(`http://127.0.0.1:${rx.port}/b`), await h.addDrain(`http://127.0.0.1:${rx.port}/c`)];
    for (let i = 0; i < 30; i++) h.manager.deliver(h.appId, logLine(`state ${i}`));
    assert.ok(await until(() => drains.every((d) => h.manager.health(d.id)?.delivered === 30)));
    await h.stop();
    const spool = path.join(h.dir, 'spool');
    assert.ok(existsSync(path.join(spool, BOOK_FILE)));
    for (const d of drains) assert.deepEqual(readdirSync(path.join(spool, d.id)).filter((n) => n.startsWith('state')), [], 'no per-drain state file');
    const book = new StateBook(spool);
    assert.deepEqual(book.keys().sort(), drains.map((d) => d.id).sort());
    book.close();

    h = await harness({ dir: h.dir, appId: h.appId, queue: { syncMs: 20 } });
    for (const d of drains) assert.equal(h.manager.health(d.id)?.delivered, 30, 'delivered counter kept');
    await h.stop();
    // Deleted: its directory and its state go with it.
    h = await harness({ dir: h.dir, appId: h.appId, queue: { syncMs: 20 } });
    await h.store.deleteDrain(drains[0].id);
    await h.stop();
    assert.equal(existsSync(path.join(spool, drains[0].id)), false);
    const after = new StateBook(spool);
    assert.deepEqual(after.keys().sort(), drains.slice(1).map((d) => d.id).sort());
    after.close();
    h = await harness({ dir: h.dir, appId: h.appId });
  } finally {
    await h.close();
    await rx.close();
  }
});

test('a drain upgraded from a per-drain state.json keeps its counters, and the old file goes', T, async () => {
  const rx = await httpReceiver();
  let h = await harness({ queue: { syncMs: 20 } });
  try {
    const d = await h.addDrain(`http://127.0.0.1:${rx.port}/`);
    await h.stop();
    const spool = path.join(h.dir, 'spool');
    rmSync(path.join(spool, BOOK_FILE), { force: true });
    mkdirSync(path.join(spool, d.id), { recursive: true });
    const legacy = { counters: { delivered: 1234, dropped: 5, spooled: 1239, corrupt: 0 }, nextLine: 1239, done: { below: 1239, hole: null }, loss: null };
    writeFileSync(path.join(spool, d.id, 'state.json'), JSON.stringify(legacy));
    h = await harness({ dir: h.dir, appId: h.appId, queue: { syncMs: 20 } });
    const hh = h.manager.health(d.id);
    assert.equal(hh?.delivered, 1234);
    assert.equal(hh?.dropped, 5);
    await h.stop();
    assert.equal(existsSync(path.join(spool, d.id, 'state.json')), false);
    h = await harness({ dir: h.dir, appId: h.appId });
    assert.equal(h.manager.health(d.id)?.delivered, 1234);
  } finally {
    await h.close();
    await rx.close();
  }
});
