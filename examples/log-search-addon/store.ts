// The example add-on's storage: installations (one per provision uuid) and the lines they received.
import Database from 'better-sqlite3';
import type { DrainLogRecord } from '../../partner-kit/index.js';

export interface Installation {
  id: string;
  uuid: string;
  name: string;
  plan: string;
  /** The `d.…` token Sluice sent at provision time: every drain request must carry it. */
  drain_token: string | null;
  /** Password of the log_drain_url we handed out (user `drain`). */
  drain_password: string;
  /** Key of the search URL given to the app as LOG_SEARCH_URL. */
  search_key: string;
  created_at: string;
}

export interface Hit {
  time: string;
  source: string;
  procid: string;
  message: string;
}

export class AddonStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS installations (
        id TEXT PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL, plan TEXT NOT NULL,
        drain_token TEXT, drain_password TEXT NOT NULL, search_key TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS lines (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, installation_id TEXT NOT NULL,
        time TEXT NOT NULL, source TEXT NOT NULL, procid TEXT NOT NULL, message TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS lines_installation ON lines (installation_id, seq);`);
  }

  byUuid(uuid: string): Installation | undefined {
    return this.db.prepare('SELECT * FROM installations WHERE uuid = ?').get(uuid) as Installation | undefined;
  }

  byId(id: string): Installation | undefined {
    return this.db.prepare('SELECT * FROM installations WHERE id = ?').get(id) as Installation | undefined;
  }

  insert(i: Installation): void {
    this.db
      .prepare(
        `INSERT INTO installations (id, uuid, name, plan, drain_token, drain_password, search_key, created_at)
         VALUES (@id, @uuid, @name, @plan, @drain_token, @drain_password, @search_key, @created_at)`,
      )
      .run(i);
  }

  setPlan(id: string, plan: string): void {
    this.db.prepare('UPDATE installations SET plan = ? WHERE id = ?').run(plan, id);
  }

  /** Deprovision: the installation and everything it received are gone. */
  remove(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM lines WHERE installation_id = ?').run(id);
      this.db.prepare('DELETE FROM installations WHERE id = ?').run(id);
    })();
  }

  addLines(id: string, records: DrainLogRecord[]): void {
    const ins = this.db.prepare('INSERT INTO lines (installation_id, time, source, procid, message) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of records) ins.run(id, r.time, r.source, r.procid, r.message);
    })();
  }

  /** Newest first; `q` is a plain substring (no patterns), case-insensitive for ASCII. */
  search(id: string, q: string, limit = 100): Hit[] {
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.db
      .prepare(
        `SELECT time, source, procid, message FROM lines
         WHERE installation_id = ? AND message LIKE ? ESCAPE '\\' ORDER BY seq DESC LIMIT ?`,
      )
      .all(id, like, limit) as Hit[];
  }

  count(id: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM lines WHERE installation_id = ?').get(id) as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}
