// Embedded history: exactly the newest 1,500 lines, filters, and persistence across reopen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import fc from 'fast-check';
import { openDatabase } from '../store/sqlite-db.js';
import { line } from './history.case.js';
import { storedTexts } from './line-log.js';
import { SqliteHistory, splitParts } from './sqlite-history.js';

/** A data directory of its own, removed after the test. */
function historyDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-history-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('keeps exactly the newest 1,500 lines, in memory and on disk', async (t) => {
  const dir = historyDir(t);
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
  const dir = historyDir(t);
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
    const dir = historyDir(t);
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

for (const capacity of [20_000, 300]) {
  test(`timer flushes while lines keep arriving: every line on disk once, in order (capacity ${capacity})`, async (t) => {
    const dir = historyDir(t);
    let db = openDatabase(dir);
    let h = new SqliteHistory(db, { flushMs: 1, capacity });
    // Bursts of 100 between event-loop turns, with timer turns every 500 lines: a timer flush
    // takes what is new while the writer may still hold the last part, so bursts land in an
    // app's log while parts wait to be posted (and, with capacity 300, displace lines no flush
    // has taken yet). Each burst also gives a line to a short-lived app and drops the previous
    // one, so some drops come while a part holding that app waits.
    let i = 0;
    for (let burst = 0; i < 9000; burst++) {
      for (let k = 0; k < 100; k++) h.deliver('busy', line(++i));
      h.deliver(`gone-${burst}`, line(0));
      if (burst > 0) h.drop(`gone-${burst - 1}`);
      await new Promise((r) => (i % 500 === 0 ? setTimeout(r, 2) : setImmediate(r)));
    }
    h.drop('gone-89');
    await h.close();
    const rows = db.prepare('SELECT lines FROM history WHERE app_id = ? ORDER BY seq').all('busy') as { lines: Buffer }[];
    const nums = rows.flatMap((r) => storedTexts(r.lines).map((text) => Number(/line (\d+) /.exec(text)?.[1])));
    if (capacity > 9000) {
      assert.ok(rows.length >= 2, `written in several flushes (${rows.length} rows)`);
      assert.deepEqual(nums, Array.from({ length: 9000 }, (_, k) => k + 1));
    } else for (let k = 1; k < nums.length; k++) assert.ok(nums[k] > nums[k - 1], `line ${nums[k]} after ${nums[k - 1]}`);
    assert.equal(nums.at(-1), 9000);
    const left = db.prepare("SELECT count(*) AS c FROM history WHERE app_id LIKE 'gone-%'").get() as { c: number };
    assert.equal(left.c, 0, 'dropped apps leave no rows');
    db.close();
    db = openDatabase(dir);
    h = new SqliteHistory(db, { capacity });
    const kept = Math.min(capacity, 9000);
    const back = await h.read('busy', kept);
    assert.deepEqual(
      back.map((l) => l.msg),
      Array.from({ length: kept }, (_, k) => `line ${9001 - kept + k} é✓`),
    );
    await h.close();
    db.close();
  });
}

for (const worker of [true, false]) {
  test(`with many busy apps, timer flushes alone get every app's lines to disk (${worker ? 'worker thread' : 'main thread'} writes)`, async (t) => {
    const dir = historyDir(t);
    const db = openDatabase(dir);
    const h = new SqliteHistory(db, { flushMs: 5, worker, partBytes: 256 << 10 });
    // 60 apps × 1,500 lines = 90,000 lines, ~6 MiB: parts of 256 KiB, so many messages to the writer.
    const apps = Array.from({ length: 60 }, (_, a) => `app-${a}`);
    for (const app of apps) for (let i = 1; i <= 1500; i++) h.deliver(app, line(i));
    const count = db.prepare('SELECT count(DISTINCT app_id) AS apps, sum(n) AS lines FROM history');
    const deadline = Date.now() + 20_000;
    let seen = { apps: 0, lines: 0 };
    while (Date.now() < deadline) {
      seen = count.get() as { apps: number; lines: number };
      if (seen.apps === apps.length) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    // Without flush() or close(): the timer's flush and the parts' acknowledgements did it all.
    assert.deepEqual(seen, { apps: 60, lines: 90_000 });
    await h.close();
    db.close();
  });
}

test('a flush is posted in parts of whole apps, in order, of at most the limit unless one app alone is more', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(50), { maxLength: 40 }), fc.integer({ min: 1, max: 80 }), (sizes, max) => {
      const items = sizes.map((n, i) => ({ id: i, lines: Array.from({ length: n }, () => 'x') }));
      const parts = splitParts(items, max, (p) => p.lines.length);
      assert.deepEqual(
        parts.flat().map((p) => p.id),
        items.filter((p) => p.lines.length > 0).map((p) => p.id),
        'every app with lines exactly once, in order',
      );
      for (const part of parts) {
        const n = part.reduce((sum, p) => sum + p.lines.length, 0);
        assert.ok(part.length > 0);
        assert.ok(n <= max || part.length === 1, `a part of ${n} lines over ${max} holds one app`);
      }
      // Greedy: a part is cut only when the next app would not fit.
      for (let i = 0; i + 1 < parts.length; i++) {
        const n = parts[i].reduce((sum, p) => sum + p.lines.length, 0);
        assert.ok(n + parts[i + 1][0].lines.length > max, 'parts are filled before a new one starts');
      }
    }),
    { numRuns: 300 },
  );
});

test('past its memory budget the history forgets idle apps and reads them back from SQLite, whole and in order', async (t) => {
  const dir = historyDir(t);
  const db = openDatabase(dir);
  const h = new SqliteHistory(db, { flushMs: 5, memoryBytes: 64 * 1024, evictIdleMs: 0 });
  const apps = Array.from({ length: 20 }, (_, i) => `app-${i}`);
  for (const a of apps) for (let i = 1; i <= 300; i++) h.deliver(a, line(i));
  for (let k = 0; k < 400 && h.evicted === 0; k++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(h.evicted > 0, 'idle apps past the budget are evicted');
  for (const a of apps) {
    const got = await h.read(a, 1500);
    assert.deepEqual(
      got.map((l) => l.msg),
      Array.from({ length: 300 }, (_, i) => `line ${i + 1} é✓`),
      a,
    );
  }
  // An app delivered to after its eviction keeps what it had plus the new line.
  for (let k = 0; k < 400 && h.evicted < 2 * apps.length - 5; k++) await new Promise((r) => setTimeout(r, 10));
  h.deliver('app-0', line(301));
  const after = await h.read('app-0', 2);
  assert.deepEqual(after.map((l) => l.msg), ['line 300 é✓', 'line 301 é✓']);
  await h.close();
  db.close();
});

test('past its budget the history forgets the idle apps holding the most lines, not the many that hold one', async (t) => {
  const dir = historyDir(t);
  const small = Array.from({ length: 50 }, (_, i) => `small-${i}`);
  const big = Array.from({ length: 10 }, (_, i) => `big-${i}`);
  let db = openDatabase(dir);
  let h = new SqliteHistory(db, { flushMs: 5 });
  for (const a of small) h.deliver(a, line(1));
  for (const a of big) for (let i = 1; i <= 300; i++) h.deliver(a, line(i));
  await h.close();
  db.close();

  // Reopened with a small budget: the small apps are touched first (quiet the longest), then the big ones.
  db = openDatabase(dir);
  h = new SqliteHistory(db, { flushMs: 5, memoryBytes: 64 * 1024, evictIdleMs: 0 });
  const reopened = { h, db };
  t.after(async () => {
    await reopened.h.close();
    reopened.db.close();
  });
  for (const a of small) assert.equal((await h.read(a, 10)).length, 1);
  await new Promise((r) => setTimeout(r, 30));
  for (const a of big) assert.equal((await h.read(a, 1500)).length, 300);
  h.deliver('other', line(1)); // something cooked: the memory estimate has a line size
  await h.durable();
  let last = -1;
  for (let k = 0; k < 400 && (h.evicted === 0 || h.evicted !== last); k++) {
    last = h.evicted;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(h.evicted > 0, 'past the budget, idle apps are evicted');
  assert.ok(h.evicted <= big.length, `only big apps are evicted (${h.evicted} evictions)`);
  for (const a of big) assert.equal((await h.read(a, 1500)).length, 300, a);
});

test('rows written in the JSON layout of earlier versions are read after an upgrade, and new lines follow them', async (t) => {
  const dir = historyDir(t);
  let db = openDatabase(dir);
  const old = [1, 2, 3].map((i) => `<190>1 2026-11-21T05:14:56.000000+00:00 host app web.1 - - line ${i} é✓`);
  db.prepare('INSERT INTO history (app_id, n, lines) VALUES (?, ?, ?)').run('legacy', old.length, JSON.stringify(old));
  let h = new SqliteHistory(db);
  assert.deepEqual((await h.read('legacy', 10)).map((l) => l.msg), ['line 1 é✓', 'line 2 é✓', 'line 3 é✓']);
  h.deliver('legacy', line(4));
  await h.close();
  const kinds = db.prepare('SELECT typeof(lines) AS t FROM history WHERE app_id = ? ORDER BY seq').pluck().all('legacy');
  assert.deepEqual(kinds, ['text', 'blob'], 'the old row stays, the new one is records');
  db.close();
  db = openDatabase(dir);
  h = new SqliteHistory(db);
  assert.deepEqual((await h.read('legacy', 10)).map((l) => l.msg), ['line 1 é✓', 'line 2 é✓', 'line 3 é✓', 'line 4 é✓']);
  await h.close();
  db.close();
});

test('a stored row that cannot be read is skipped and reported; the rest of the app reads back', async (t) => {
  const dir = historyDir(t);
  const db = openDatabase(dir);
  const insert = db.prepare('INSERT INTO history (app_id, n, lines) VALUES (?, ?, ?)');
  insert.run('damaged', 1, JSON.stringify(['<190>1 2026-11-21T05:14:56.000000+00:00 host app web.1 - - line 1 é✓']));
  insert.run('damaged', 1, '["<190>1 2026-11-21T05:14:56.000000+00:00 host app web.1 - - line 2'); // torn JSON
  const errors: string[] = [];
  const h = new SqliteHistory(db, { onError: (err) => errors.push(String(err)) });
  h.deliver('damaged', line(3));
  assert.deepEqual((await h.read('damaged', 10)).map((l) => l.msg), ['line 1 é✓', 'line 3 é✓']);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /could not be read and was skipped/);
  await h.close();
  db.close();
});
