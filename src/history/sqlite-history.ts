// Embedded history: a ring of the newest lines per app in memory, written behind to SQLite in chunks.
import type { LogLine } from '../core/log-line.js';
import { Ring } from '../core/ring.js';
import type { Db } from '../store/sqlite-db.js';
import { formatRfc5424, parseRfc5424 } from '../wire/rfc5424.js';
import { HISTORY_LINES, type History } from './contract.js';

interface AppHistory {
  ring: Ring<string>;
  /** Lines not yet on disk, oldest first. */
  pending: string[];
  /** Chunks on disk, oldest first: their seq and line count, to know what can be trimmed. */
  chunks: { seq: number; n: number }[];
  onDisk: number;
}

/**
 * Reads come from memory, so they never wait for the disk and never block input. Each flush
 * writes one row per app that received lines (a JSON array of its cooked RFC 5424 lines) in one
 * transaction, and deletes the app's oldest rows once the rest still hold the whole history; a
 * crash loses at most one flush interval of the on-disk copy. An app's ring is loaded the first
 * time the app is touched after a start, so idle apps cost nothing.
 */
export class SqliteHistory implements History {
  private apps = new Map<string, AppHistory>();
  private dirtyIds = new Map<AppHistory, string>();
  private timer: NodeJS.Timeout;
  private readonly capacity: number;
  private readonly onError: (err: unknown) => void;
  private readonly insert;
  private readonly load;
  private readonly trim;
  private readonly dropAll;

  constructor(
    private readonly db: Db,
    opts: { flushMs?: number; capacity?: number; onError?: (err: unknown) => void } = {},
  ) {
    this.capacity = opts.capacity ?? HISTORY_LINES;
    this.onError = opts.onError ?? (() => {});
    this.insert = db.prepare('INSERT INTO history (app_id, n, lines) VALUES (?, ?, ?)');
    this.load = db.prepare('SELECT seq, n, lines FROM history WHERE app_id = ? ORDER BY seq DESC');
    this.trim = db.prepare('DELETE FROM history WHERE app_id = ? AND seq <= ?');
    this.dropAll = db.prepare('DELETE FROM history WHERE app_id = ?');
    this.timer = setInterval(() => {
      // A disk error (full, read-only) must not take the router down: memory still serves reads.
      try {
        this.flush();
      } catch (err) {
        this.onError(err);
      }
    }, opts.flushMs ?? 50);
    this.timer.unref();
  }

  deliver(appId: string, line: LogLine): void {
    const text = formatRfc5424(line);
    const app = this.app(appId);
    app.ring.push(text);
    app.pending.push(text);
    if (!this.dirtyIds.has(app)) this.dirtyIds.set(app, appId);
  }

  async read(appId: string, n: number, keep?: (line: LogLine) => boolean): Promise<LogLine[]> {
    const ring = this.app(appId).ring;
    const want = Math.max(0, Math.min(n, this.capacity));
    if (!keep) return ring.last(want).flatMap(parsed);
    // Scan newest-first until enough lines match, then return them oldest-first.
    const all = ring.last();
    const out: LogLine[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < want; i--) {
      for (const line of parsed(all[i])) if (keep(line)) out.push(line);
    }
    return out.reverse();
  }

  drop(appId: string): void {
    const app = this.apps.get(appId);
    if (app) this.dirtyIds.delete(app);
    this.apps.delete(appId);
    this.dropAll.run(appId);
  }

  flush(): void {
    if (this.dirtyIds.size === 0) return;
    const batch = [...this.dirtyIds];
    this.dirtyIds.clear();
    this.db.transaction(() => {
      for (const [app, appId] of batch) {
        // Only the newest `capacity` pending lines can ever be read back.
        const lines = app.pending.length > this.capacity ? app.pending.slice(-this.capacity) : app.pending;
        app.pending = [];
        const seq = Number(this.insert.run(appId, lines.length, JSON.stringify(lines)).lastInsertRowid);
        app.chunks.push({ seq, n: lines.length });
        app.onDisk += lines.length;
        let cut = -1;
        while (app.chunks.length > 1 && app.onDisk - app.chunks[0].n >= this.capacity) {
          const old = app.chunks.shift() as { seq: number; n: number };
          app.onDisk -= old.n;
          cut = old.seq;
        }
        if (cut >= 0) this.trim.run(appId, cut);
      }
    })();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
  }

  private app(appId: string): AppHistory {
    let app = this.apps.get(appId);
    if (app === undefined) {
      app = { ring: new Ring<string>(this.capacity), pending: [], chunks: [], onDisk: 0 };
      const rows: string[][] = [];
      let lines = 0;
      for (const row of this.load.iterate(appId) as Iterable<{ seq: number; n: number; lines: string }>) {
        app.chunks.unshift({ seq: row.seq, n: row.n });
        app.onDisk += row.n;
        rows.unshift(JSON.parse(row.lines) as string[]);
        lines += row.n;
        if (lines >= this.capacity) break;
      }
      for (const chunk of rows) for (const text of chunk) app.ring.push(text);
      this.apps.set(appId, app);
    }
    return app;
  }
}

function parsed(text: string): LogLine[] {
  const r = parseRfc5424(text);
  return r.ok ? [r.value] : [];
}
