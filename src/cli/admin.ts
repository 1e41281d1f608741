// Offline operator commands on a data directory: `admin:reset-key`, `backup` (online) and `restore`.
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Command, Option } from 'commander';
import { newId, newSecret } from '../core/ids.js';
import { hashSecret } from '../core/secret.js';
import { openDatabase } from '../store/sqlite-db.js';
import { CliError } from './client.js';

const DB_FILE = 'sluice.db';
const dataDirOption = (): Option => new Option('--data-dir <dir>', 'the node\'s data directory').env('SLUICE_DATA_DIR').default('./.sluice');
const say = (s: string): void => void process.stderr.write(`${s}\n`);

/** What a database holds, for the operator to compare a backup with the node. */
function summary(db: Database.Database): string {
  const n = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const lines = (db.prepare('SELECT coalesce(sum(n), 0) AS n FROM history').get() as { n: number }).n;
  return `${n('apps')} apps, ${n('tokens')} log tokens, ${n('drains')} drains, ${n('api_keys')} API keys, ${n('addons')} add-ons, ${lines} history lines`;
}

/** Opens a file as a Sluice database, refusing anything else (a wrong path must not be "restored"). */
function checkDatabase(file: string): string {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const ok = db.pragma('integrity_check', { simple: true });
    if (ok !== 'ok') throw new CliError(`${file} is damaged: integrity_check says ${String(ok)}.`);
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'api_keys'").get()) throw new CliError(`${file} is not a Sluice database.`);
    return summary(db);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file} is not a readable SQLite database: ${(err as Error).message}`);
  } finally {
    db?.close();
  }
}

export function adminCommands(): Command[] {
  return [
    new Command('admin:reset-key')
      .description('replace every stored admin API key with a new one and print it once (run it while the node is stopped)')
      .addOption(dataDirOption())
      .action((o: { dataDir: string }) => {
        const file = join(o.dataDir, DB_FILE);
        if (!existsSync(file)) throw new CliError(`No database at ${file}: is --data-dir the node's data directory?`);
        const db = openDatabase(o.dataDir);
        try {
          const key = `sk_${newSecret()}`;
          const removed = db.transaction(() => {
            const r = db.prepare('DELETE FROM api_keys WHERE admin = 1').run();
            db.prepare('INSERT INTO api_keys (id, name, hash, admin, app_ids, created_at) VALUES (?, ?, ?, 1, ?, ?)').run(newId(), 'admin', hashSecret(key), '[]', new Date().toISOString());
            return r.changes;
          })();
          say(`sluice: replaced ${removed} admin key(s) in ${file}; limited keys are unchanged.`);
          say('sluice: the new admin API key (shown once, only its hash is stored):');
          process.stdout.write(`${key}\n`);
          say('Start (or restart) the node to use it. A node started with SLUICE_API_KEY accepts that key as well.');
        } finally {
          db.close();
        }
      }),

    new Command('backup')
      .description("copy a node's database to OUT with SQLite's online backup (safe while the node runs)")
      .argument('<out>', 'the backup file to write (must not exist)')
      .addOption(dataDirOption())
      .action(async (out: string, o: { dataDir: string }) => {
        const file = join(o.dataDir, DB_FILE);
        if (!existsSync(file)) throw new CliError(`No database at ${file}: is --data-dir the node's data directory?`);
        if (existsSync(out)) throw new CliError(`${out} exists already: choose a new file.`);
        // A read-only connection next to the running node's: SQLite copies page by page and
        // restarts the copy if the node writes meanwhile, so the result is one consistent moment.
        const db = new Database(file, { readonly: true, fileMustExist: true });
        const tmp = `${resolve(out)}.partial`;
        rmSync(tmp, { force: true });
        try {
          await db.backup(tmp);
        } finally {
          db.close();
        }
        const what = checkDatabase(tmp);
        renameSync(tmp, out);
        say(`sluice: backed up ${file} to ${out}: ${what}.`);
      }),

    new Command('restore')
      .description('put a backup in place as the database of a data directory (run it while the node is stopped)')
      .argument('<backup>', 'a file written by `sluice backup`')
      .addOption(dataDirOption())
      .option('--force', 'replace an existing database in the data directory')
      .action((backup: string, o: { dataDir: string; force?: boolean }) => {
        const what = checkDatabase(backup);
        const file = join(o.dataDir, DB_FILE);
        if (existsSync(file) && !o.force) throw new CliError(`${file} exists: pass --force to replace it (stop the node first).`);
        mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
        // The old database's write-ahead log must not be replayed onto the restored file.
        for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
        copyFileSync(backup, `${file}.restoring`);
        renameSync(`${file}.restoring`, file);
        say(`sluice: restored ${backup} into ${file}: ${what}. Start the node with --data-dir ${o.dataDir}.`);
      }),
  ];
}
