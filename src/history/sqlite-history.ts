// Embedded history: a ring of the newest lines per app in memory, written behind to SQLite.
import type { LogLine } from '../core/log-line.js';
import { Ring } from '../core/ring.js';
import type { Db } from '../store/sqlite-db.js';
import { formatRfc5424, parseRfc5424 } from '../wire/rfc5424.js';
import { HISTORY_LINES, type History } from './contract.js';

/** Rows beyond the limit an app may accumulate on disk before it is trimmed (amortises DELETEs). */
const TRIM_SLACK = 500;

/**
 * Reads come from memory, so they never wait for the disk and never block input. Appends are
 * queued and committed in one transaction per flush interval; a crash loses at most that
 * interval's lines from the on-disk copy. An app's ring is loaded from disk the first time the
 * app is touched after a start, so idle apps cost nothing.
 */
export class SqliteHistory implements History {
  private rings = new Map<string, Ring<string>>();
  private pending: { app: string; line: string }[] = [];
  private rowsOnDisk = new Map<string, number>();
  private timer: NodeJS.Timeout;
  private readonly insert;
  private readonly load;
  private readonly count;
  private readonly trim;
  private readonly dropAll;

  constructor(
    private readonly db: Db,
    opts: { flushMs?: number; capacity?: number; onError?: (err: unknown) => void } = {},
  ) {
    this.capacity = opts.capacity ?? HISTORY_LINES;
    this.insert = db.prepare('INSERT INTO history (app_id, line) VALUES (?, ?)');
    this.load = db.prepare(
      'SELECT line FROM (SELECT seq, line FROM history WHERE app_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    );
    this.count = db.prepare('SELECT count(*) AS n FROM history WHERE app_id = ?');
    this.trim = db.prepare(
      `DELETE FROM history WHERE app_id = @app AND seq <= (
         SELECT seq FROM history WHERE app_id = @app ORDER BY seq DESC LIMIT 1 OFFSET @keep)`,
    );
    this.dropAll = db.prepare('DELETE FROM history WHERE app_id = ?');
    this.onError = opts.onError ?? (() => {});
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

  private readonly capacity: number;
  private readonly onError: (err: unknown) => void;

  deliver(appId: string, line: LogLine): void {
    const text = formatRfc5424(line);
    this.ring(appId).push(text);
    this.pending.push({ app: appId, line: text });
  }

  async read(appId: string, n: number, keep?: (line: LogLine) => boolean): Promise<LogLine[]> {
    const ring = this.ring(appId);
    const want = Math.max(0, Math.min(n, this.capacity));
    if (!keep) return ring.last(want).flatMap((t) => parsed(t));
    // Scan newest-first until enough lines match, then return them oldest-first.
    const all = ring.last();
    const out: LogLine[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < want; i--) {
      for (const line of parsed(all[i])) if (keep(line)) out.push(line);
    }
    return out.reverse();
  }

  drop(appId: string): void {
    this.rings.delete(appId);
    this.pending = this.pending.filter((p) => p.app !== appId);
    this.rowsOnDisk.delete(appId);
    this.dropAll.run(appId);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const grown = new Set<string>();
    this.db.transaction(() => {
      for (const p of batch) this.insert.run(p.app, p.line);
      for (const p of batch) {
        const n = (this.rowsOnDisk.get(p.app) ?? 0) + 1;
        this.rowsOnDisk.set(p.app, n);
        if (n > this.capacity + TRIM_SLACK) grown.add(p.app);
      }
      for (const app of grown) {
        this.trim.run({ app, keep: this.capacity });
        this.rowsOnDisk.set(app, this.capacity);
      }
    })();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
  }

  private ring(appId: string): Ring<string> {
    let ring = this.rings.get(appId);
    if (ring === undefined) {
      ring = new Ring<string>(this.capacity);
      for (const row of this.load.all(appId, this.capacity) as { line: string }[]) ring.push(row.line);
      this.rowsOnDisk.set(appId, (this.count.get(appId) as { n: number }).n);
      this.rings.set(appId, ring);
    }
    return ring;
  }
}

function parsed(text: string): LogLine[] {
  const r = parseRfc5424(text);
  return r.ok ? [r.value] : [];
}
