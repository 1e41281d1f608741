// Runs the ConfigStore contract against the embedded SQLite store.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigStore } from './contract.js';
import { openDatabase, type Db } from './sqlite-db.js';
import { SqliteStore } from './sqlite-store.js';
import { storeContract } from './store.case.js';

const dbs = new Map<ConfigStore, { db: Db; dir: string }>();

storeContract('sqlite', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
    const db = openDatabase(dir);
    const s = new SqliteStore(db);
    dbs.set(s, { db, dir });
    return s;
  },
  async reopen(old) {
    const { db, dir } = dbs.get(old)!;
    await old.close();
    db.close();
    const db2 = openDatabase(dir);
    const s = new SqliteStore(db2);
    dbs.set(s, { db: db2, dir });
    return s;
  },
});
