// Opens the embedded SQLite database in the data directory and brings its schema up to date.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS apps (
     id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS tokens (
     id TEXT PRIMARY KEY, app_id TEXT NOT NULL, name TEXT NOT NULL, token TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS domains (
     hostname TEXT PRIMARY KEY, app_id TEXT NOT NULL, created_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS api_keys (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, admin INTEGER NOT NULL,
     app_ids TEXT NOT NULL, created_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drains (
     id TEXT PRIMARY KEY, app_id TEXT NOT NULL, token TEXT NOT NULL UNIQUE, url TEXT NOT NULL,
     addon_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS addon_services (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, manifest TEXT NOT NULL, created_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS addons (
     id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, app_id TEXT NOT NULL, service_id TEXT NOT NULL,
     plan TEXT NOT NULL, state TEXT NOT NULL, config_vars TEXT NOT NULL, provider_id TEXT,
     drain_token TEXT, log_token_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  // History: one row per app per flush, holding that flush's lines (one INSERT per app per
  // flush instead of one per line): a BLOB of length-prefixed records (history/line-log.ts), or,
  // in rows written before that layout, a JSON array of texts. seq orders an app's rows across restarts.
  `CREATE TABLE IF NOT EXISTS history (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, app_id TEXT NOT NULL, n INTEGER NOT NULL, lines TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS history_app_seq ON history (app_id, seq)`,
];

export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, 'sluice.db'));
  // WAL: readers never block the writer; NORMAL: a crash of the process (kill -9) loses nothing
  // committed, only a power loss can lose the last transactions.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  for (const stmt of SCHEMA) db.exec(stmt);
  // Columns added after the first release: databases made before them get them here.
  const drainColumns = (db.prepare('PRAGMA table_info(drains)').all() as Array<{ name: string }>).map((c) => c.name);
  if (!drainColumns.includes('format')) db.exec('ALTER TABLE drains ADD COLUMN format TEXT');
  if (!drainColumns.includes('telemetry')) db.exec('ALTER TABLE drains ADD COLUMN telemetry TEXT');
  return db;
}
