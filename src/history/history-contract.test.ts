// Runs the History contract against the embedded SQLite history (jetstream-history.test.ts runs it on JetStream).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openDatabase, type Db } from '../store/sqlite-db.js';
import type { History } from './contract.js';
import { historyContract } from './history.case.js';
import { SqliteHistory } from './sqlite-history.js';

const dirs: string[] = [];
const dbs = new Map<History, { db: Db; dir: string }>();
after(() => {
  for (const { db } of dbs.values()) if (db.open) db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

historyContract('sqlite', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-history-'));
    dirs.push(dir);
    const db = openDatabase(dir);
    const h = new SqliteHistory(db);
    dbs.set(h, { db, dir });
    return h;
  },
  async reopen(old) {
    const { db, dir } = dbs.get(old)!;
    await old.close();
    db.close();
    const db2 = openDatabase(dir);
    const h = new SqliteHistory(db2);
    dbs.set(h, { db: db2, dir });
    return h;
  },
});
