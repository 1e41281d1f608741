// Embedded history: exactly the newest 1,500 lines, filters, and persistence across reopen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { openDatabase } from '../store/sqlite-db.js';
import { line } from './history.case.js';
import { SqliteHistory } from './sqlite-history.js';

test('keeps exactly the newest 1,500 lines, in memory and on disk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-history-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let db = openDatabase(dir);
  let h = new SqliteHistory(db);
  for (let i = 1; i <= 1600; i++) h.deliver('app-1', line(i));
  const mem = await h.read('app-1', 5000);
  assert.equal(mem.length, 1500);
  assert.equal(mem[0].msg, 'line 101 é✓');
  assert.equal(mem[1499].msg, 'line 1600 é✓');
  await h.close();
  db.close();

  db = openDatabase(dir);
  h = new SqliteHistory(db);
  const disk = await h.read('app-1', 1500);
  assert.deepEqual(
    disk.map((l) => l.msg),
    mem.map((l) => l.msg),
  );
  assert.deepEqual((await h.read('app-1', 2)).map((l) => l.msg), ['line 1599 é✓', 'line 1600 é✓']);
  await h.close();
  db.close();
});

test('a filtered read scans newest-first and returns the matches oldest-first', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-history-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(dir);
  const h = new SqliteHistory(db);
  for (let i = 1; i <= 30; i++) h.deliver('a', line(i, i % 3 === 0 ? 'worker.1' : 'web.1'));
  const workers = await h.read('a', 3, (l) => l.procid.startsWith('worker'));
  assert.deepEqual(workers.map((l) => l.msg), ['line 24 é✓', 'line 27 é✓', 'line 30 é✓']);
  h.drop('a');
  assert.equal((await h.read('a', 100)).length, 0);
  await h.close();
  db.close();
});

for (const worker of [true, false]) {
  test(`the on-disk copy is trimmed as it grows, and survives reopening exactly (${worker ? 'worker thread' : 'main thread'} writes)`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-history-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let db = openDatabase(dir);
    let h = new SqliteHistory(db, { worker });
    for (let i = 1; i <= 5000; i++) {
      h.deliver('big', line(i));
      if (i % 700 === 0) h.flush();
    }
    await h.close();
    const rows = (db.prepare('SELECT sum(n) AS n FROM history WHERE app_id = ?').get('big') as { n: number }).n;
    assert.ok(rows >= 1500 && rows < 1500 + 700, `lines on disk: ${rows}`);
    db.close();
    db = openDatabase(dir);
    h = new SqliteHistory(db);
    const back = await h.read('big', 1500);
    assert.equal(back.length, 1500);
    assert.equal(back[0].msg, 'line 3501 é✓');
    assert.equal(back[1499].msg, 'line 5000 é✓');
    await h.close();
    db.close();
  });
}
