// Embedded history: a ring of the newest lines per app in memory, written behind to SQLite in chunks.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { LogLine } from '../core/log-line.js';
import { Ring } from '../core/ring.js';
import type { Db } from '../store/sqlite-db.js';
import { cookSharing, parseRfc5424 } from '../wire/rfc5424.js';
import { HISTORY_LINES, type History } from './contract.js';
import { HistoryDiskWriter, type HistoryChunk } from './disk-writer.js';
import type { FromWorker, ToWorker, WorkerInit } from './history-worker.js';

/**
 * A line in memory: the routed LogLine itself until the next flush (delivering a line costs one
 * reference, no formatting), then its cooked RFC 5424 text, which is what goes to disk and is
 * more compact than the parsed record it replaces.
 */
type Entry = LogLine | string;

interface AppHistory {
  ring: Ring<Entry>;
  /** Ring index (`Ring.total`) from which lines are not yet handed to the disk writer. */
  written: number;
  /** Listed in `dirty` (has lines past `written` that no flush has claimed yet). */
  dirty: boolean;
  /** `SqliteHistory.clock` when a line last arrived: idle apps are the ones evicted. */
  touched: number;
  /** Claimed by a flush whose lines are not posted yet. */
  claimed: boolean;
  /** The last write (`sentSeq`) that carried its lines: on disk once acknowledged. */
  seq: number;
}

/** One app's share of a flush: the ring index it is flushed up to, and its lines cooked so far. */
interface FlushItem {
  app: AppHistory;
  appId: string;
  to: number;
  lines: string[];
}

/** One flush in progress: the claimed apps, the first not yet fully cooked, and lines delivered before it. */
interface FlushJob {
  items: FlushItem[];
  next: number;
  mark: number;
}

/** A cooked part waiting to be posted; `mark`: lines delivered before it, durable once it is written. */
interface Part {
  items: FlushItem[];
  mark?: number;
}

/** A caller of `durable()`: resolved once `target` delivered lines are written. */
interface DurableWaiter {
  target: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Time the timer's flush may take per event-loop turn. A flush cooks up to 1,500 lines per app;
 * done in one go that is a millisecond or more (many apps: far more) during which no input is read
 * and no drain response is handled, which a 1,024-line drain buffer can't always absorb. Half a
 * millisecond cooks ~1,000 lines, several times what one turn's input brings, so cooking keeps up
 * (cooked text is also what keeps history compact under overload).
 */
const SLICE_MS = 0.5;
/** Lines cooked between two looks at the clock. */
const CLOCK_EVERY = 64;
/**
 * Lines per message to the writer (whole apps, at least one): with thousands of busy apps one
 * flush cooks hundreds of MB. Cooking never waits for the disk (cooked text is what keeps the
 * rings compact), but the cooked parts are posted one at a time, each when the writer has
 * acknowledged the last, so at most one ~16 MB message waits in the worker's queue.
 */
const PART_LINES = 65_536;
/** Cooked lines waiting to be posted above which no new flush is claimed (the disk is behind). */
const OUTBOX_MAX = 4 * PART_LINES;
/**
 * Memory the rings may hold (estimated from the cooked text): past it, apps idle for
 * EVICT_IDLE_MS whose lines are all written are dropped from memory and loaded again from
 * SQLite when next touched. 1,000 apps × 1,500 lines of 260 bytes would otherwise be ~420 MB.
 * Apps that are busy are never evicted (no load-per-line thrash), so this is a soft budget.
 * 40 MiB is ~200,000 lines (~140 full apps); what it holds is most of the live heap under
 * overload, and the heap governor lets the heap grow to 1.3× what is live: at 64 MiB the
 * 1,000-drains-down bench peaked ~30 MiB higher (the target there is 300 MiB).
 */
export const HISTORY_MEMORY_BYTES = 40 << 20;
const EVICT_IDLE_MS = 1_000;
/**
 * Flush interval. A line waits in its ring as a routed LogLine (its parsed fields, ~600 bytes of
 * objects) until a flush cooks it into text. At 50 ms most lines outlived two young-generation
 * collections, were copied into the old generation and died there: with 1,000 drains down the
 * peak RSS was 288–301 MiB, at 25 ms 271–279 MiB (15 ms: 258–279, but ~5% more CPU per line in
 * the writer), with syslog → syslog throughput unchanged.
 */
const FLUSH_MS = 25;
/** Least time between two looks at every app for eviction. */
const EVICT_SCAN_MS = 250;
/** Per cooked line beyond its text: the string header and the ring slot. */
const LINE_OVERHEAD = 32;

/**
 * Reads come from memory, so they never wait for the disk and never block input. Each flush
 * writes one row per app that received lines (a JSON array of its cooked RFC 5424 lines), one
 * transaction per part of ~65,000 lines, and deletes the app's oldest rows once the rest still
 * hold the whole history; a crash loses about one flush interval of the on-disk copy (more when
 * the disk falls behind). An app's ring is loaded the first time the app is touched after a
 * start, so idle apps cost nothing.
 *
 * The SQLite writes run on a worker thread with its own connection (history-worker.ts): the
 * main thread only cooks the fresh lines, a slice per turn, and posts them, so neither a write
 * nor a WAL checkpoint can stall routing. An in-memory database, or a worker that fails, falls
 * back to writing on the main thread's connection.
 */
export class SqliteHistory implements History {
  private apps = new Map<string, AppHistory>();
  private dirty = new Map<AppHistory, string>();
  private job: FlushJob | undefined;
  private timer: NodeJS.Timeout;
  private readonly capacity: number;
  private readonly sliceMs: number;
  private readonly onError: (err: unknown) => void;
  private readonly load;
  /**
   * Apps that may have rows on disk without a ring in memory: those the table held at start, and
   * those evicted since. Any other app touched for the first time has no history to load, so its
   * first line costs no query (10,000 apps starting to log: 10,000 SELECTs on the routing thread).
   */
  private readonly stored: Set<string>;
  /** When evictIdle last looked at every app (it runs at most every EVICT_SCAN_MS). */
  private evictScanAt = 0;
  /** The writer on this thread: always for drop() ordering without a worker, and the fallback. */
  private local: HistoryDiskWriter | undefined;
  private worker: Worker | undefined;
  private workerClosed: Promise<void> | undefined;
  /** Writes posted to the worker and not yet acknowledged. */
  private unacked = 0;
  /** Cooked parts not yet posted, oldest first (each app's rows stay in order), and their lines. */
  private outbox: Part[] = [];
  private outboxLines = 0;
  /**
   * Durable acknowledgement (`durable()`): lines delivered since start; how many of them are
   * known written; writes sent and acknowledged (the worker answers in order); for sent writes
   * that complete a flush, the delivered count they make durable; and the callers waiting.
   */
  private delivered = 0;
  private durableMark = 0;
  private sentSeq = 0;
  private ackedSeq = 0;
  private failedSeq = -1;
  private marks: Array<{ seq: number; mark: number }> = [];
  private waiters: DurableWaiter[] = [];
  private soon = false;
  /** Coarse time (ms), advanced by the flush timer: stamping a line costs no clock read. */
  private clock = Date.now();
  /** Lines held in all rings, and the mean cooked size: the memory estimate. */
  private heldLines = 0;
  private cookedBytes = 0;
  private cookedLines = 0;
  private readonly memoryBytes: number;
  private readonly evictIdleMs: number;
  /** Apps evicted from memory so far (tests, and the reason a read may touch the disk). */
  evicted = 0;

  constructor(
    private readonly db: Db,
    opts: { flushMs?: number; capacity?: number; onError?: (err: unknown) => void; worker?: boolean; sliceMs?: number; memoryBytes?: number; evictIdleMs?: number } = {},
  ) {
    this.capacity = opts.capacity ?? HISTORY_LINES;
    this.memoryBytes = opts.memoryBytes ?? HISTORY_MEMORY_BYTES;
    this.evictIdleMs = opts.evictIdleMs ?? EVICT_IDLE_MS;
    this.sliceMs = opts.sliceMs ?? SLICE_MS;
    this.onError = opts.onError ?? (() => {});
    this.load = db.prepare('SELECT seq, n, lines FROM history WHERE app_id = ? ORDER BY seq DESC');
    this.stored = new Set((db.prepare('SELECT DISTINCT app_id FROM history').pluck().all() as string[]));
    if (db.memory || opts.worker === false) this.local = new HistoryDiskWriter(db, this.capacity);
    else this.startWorker();
    this.timer = setInterval(this.nextJob, opts.flushMs ?? FLUSH_MS);
    this.timer.unref();
  }

  deliver(appId: string, line: LogLine): void {
    const app = this.app(appId);
    if (!app.ring.push(line)) this.heldLines++;
    app.touched = this.clock;
    this.delivered++;
    if (!app.dirty) {
      app.dirty = true;
      this.dirty.set(app, appId);
    }
  }

  async read(appId: string, n: number, keep?: (line: LogLine) => boolean): Promise<LogLine[]> {
    const ring = this.app(appId).ring;
    const want = Math.max(0, Math.min(n, this.capacity));
    const out: LogLine[] = [];
    if (!keep) {
      for (const e of ring.last(want)) {
        const line = parsed(e);
        if (line) out.push(line);
      }
      return out;
    }
    // Scan newest-first until enough lines match, then return them oldest-first.
    const all = ring.last();
    for (let i = all.length - 1; i >= 0 && out.length < want; i--) {
      const line = parsed(all[i]);
      if (line && keep(line)) out.push(line);
    }
    return out.reverse();
  }

  /**
   * Resolves once every line delivered until now is committed to the database's write-ahead
   * log (the worker's transaction returned): a `kill -9` after that loses none of them. A
   * waiting caller starts the next flush on the next turn instead of the timer's 50 ms, so the
   * callers of one turn share one transaction.
   */
  durable(): Promise<void> {
    const target = this.delivered;
    if (this.durableMark >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      if (!this.soon) {
        this.soon = true;
        setImmediate(() => {
          this.soon = false;
          this.nextJob();
        });
      }
    });
  }

  drop(appId: string): void {
    const app = this.apps.get(appId);
    if (app) {
      this.dirty.delete(app);
      this.heldLines -= app.ring.length;
    }
    this.stored.delete(appId);
    this.apps.delete(appId); // a flush in progress skips it when it posts
    this.send({ op: 'drop', appId });
  }

  /** Writes everything delivered so far, now: finishes a flush in progress, then flushes the rest. */
  flush(): void {
    if (this.job) this.finish(this.job, Infinity);
    if (this.dirty.size > 0) this.finish(this.claim(), Infinity);
    this.pump(true);
  }

  /** Starts the next timer flush, unless one is running or the disk is far behind. */
  private readonly nextJob = (): void => {
    this.clock = Date.now();
    this.evictIdle();
    if (this.job === undefined && this.outboxLines < OUTBOX_MAX && this.dirty.size > 0) this.continueJob(this.claim());
  };

  /** Claims every dirty app's new lines for one flush; lines delivered later go to the next. */
  private claim(): FlushJob {
    const job: FlushJob = { items: [], next: 0, mark: this.delivered };
    for (const [app, appId] of this.dirty) {
      app.dirty = false;
      app.claimed = true;
      job.items.push({ app, appId, to: app.ring.total, lines: [] });
    }
    this.dirty.clear();
    this.job = job;
    return job;
  }

  /**
   * Posts cooked parts, oldest first: one while the writer has none unacknowledged, or all of
   * them when `all` (a synchronous flush). Apps dropped meanwhile are left out, so no row of
   * theirs lands after their `drop`.
   */
  private pump(all = false): void {
    while (this.outbox.length > 0 && (all || this.unacked === 0)) {
      const part = this.outbox.shift()!;
      const batch: HistoryChunk[] = [];
      for (const { app, appId, lines } of part.items) {
        this.outboxLines -= lines.length;
        app.claimed = false;
        app.seq = this.sentSeq + 1;
        if (this.apps.get(appId) === app) batch.push([appId, lines]);
      }
      // The mark goes with this write, or, when nothing is left to write, with the last one sent.
      if (part.mark !== undefined) this.marks.push({ seq: this.sentSeq + (batch.length > 0 ? 1 : 0), mark: part.mark });
      if (batch.length > 0) this.send({ op: 'write', batch });
    }
    this.settle();
  }

  /** The timer's flush: a slice per turn, so input and drain responses are handled in between. */
  private readonly continueJob = (job: FlushJob): void => {
    if (this.job !== job) return; // a synchronous flush() finished it
    if (this.finish(job, performance.now() + this.sliceMs)) return;
    setImmediate(this.continueJob, job);
  };

  /**
   * Cooks the job's lines until `deadline` (performance.now()) — only the newest `capacity` can
   * ever be read back, lines displaced from the ring meanwhile are skipped, and the ring keeps
   * the cooked text from now on — and, once all are cooked, posts the job. True when done.
   */
  private finish(job: FlushJob, deadline: number): boolean {
    try {
      while (job.next < job.items.length) {
        const item = job.items[job.next];
        const { app } = item;
        const from = Math.max(app.written, item.to - this.capacity);
        const end = Math.min(item.to, from + CLOCK_EVERY);
        const cooked = app.ring.mapRange(from, end, cook);
        for (const text of cooked) {
          item.lines.push(text as string);
          this.cookedBytes += (text as string).length;
        }
        this.cookedLines += cooked.length;
        app.written = end;
        if (end === item.to) job.next++;
        if (job.next < job.items.length && performance.now() >= deadline) return false;
      }
      this.job = undefined;
      for (const item of job.items) if (item.lines.length === 0) item.app.claimed = false; // nothing new to post
      const parts: Part[] = splitParts(job.items, PART_LINES).map((items) => ({ items }));
      // The job's last part, once written, makes every line delivered before the claim durable;
      // a job with nothing to write rides on the part before it.
      if (parts.length > 0) parts[parts.length - 1].mark = job.mark;
      else if (this.outbox.length > 0) this.outbox[this.outbox.length - 1].mark = job.mark;
      else this.marks.push({ seq: this.sentSeq, mark: job.mark });
      for (const part of parts) {
        this.outbox.push(part);
        for (const item of part.items) this.outboxLines += item.lines.length;
      }
      this.pump();
    } catch (err) {
      // A disk error (full, read-only) must not take the router down: memory still serves reads.
      this.job = undefined;
      this.onError(err);
      this.fail(job.mark, err);
    }
    return true;
  }

  /** Resolves the waiters whose lines are now written (every mark up to the acknowledged write). */
  private settle(): void {
    while (this.marks.length > 0 && this.marks[0].seq <= this.ackedSeq) {
      const { mark } = this.marks.shift()!;
      if (mark > this.durableMark) this.durableMark = mark;
    }
    while (this.waiters.length > 0 && this.waiters[0].target <= this.durableMark) this.waiters.shift()!.resolve();
  }

  /** Writes up to `mark` failed or were lost: their waiters are told, not left hanging. */
  private fail(mark: number, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    while (this.waiters.length > 0 && this.waiters[0].target <= mark) this.waiters.shift()!.reject(e);
  }

  /** One write acknowledged (by the worker, or done on this thread). */
  private acked(): void {
    this.ackedSeq++;
    if (this.ackedSeq === this.failedSeq) {
      // The write failed: the marks it carried are not durable.
      let mark = 0;
      while (this.marks.length > 0 && this.marks[0].seq <= this.ackedSeq) mark = Math.max(mark, this.marks.shift()!.mark);
      this.fail(mark, new Error('the history write failed'));
    }
    this.settle();
  }

  /**
   * Past the memory budget: forgets the rings of apps idle for EVICT_IDLE_MS whose every line is
   * in SQLite (written, posted, acknowledged, not failed), those holding the most lines first.
   */
  private evictIdle(): void {
    if (this.cookedLines === 0) return;
    const perLine = this.cookedBytes / this.cookedLines + LINE_OVERHEAD;
    if (this.heldLines * perLine <= this.memoryBytes) return;
    // Looking at every app each 50 ms flush is most of the cost with 10,000 apps; an app becomes
    // evictable only after EVICT_IDLE_MS anyway.
    if (this.clock - this.evictScanAt < Math.min(EVICT_SCAN_MS, this.evictIdleMs)) return;
    this.evictScanAt = this.clock;
    const idleBefore = this.clock - this.evictIdleMs;
    const onDisk = (a: AppHistory): boolean => !a.dirty && !a.claimed && a.written === a.ring.total && a.seq <= this.ackedSeq && a.seq !== this.failedSeq;
    const idle: Array<[string, AppHistory]> = [];
    for (const [id, app] of this.apps) if (app.touched <= idleBefore && onDisk(app)) idle.push([id, app]);
    // Most lines first (least recent among equals): every eviction costs a load when the app
    // next logs, whatever it held, so the fewest evictions that get back within the budget are
    // the best. Least recent first forgot thousands of apps holding a line or two (they had been
    // quiet longest) and loaded each again on its next line, for next to no memory.
    idle.sort((a, b) => b[1].ring.length - a[1].ring.length || a[1].touched - b[1].touched);
    const target = this.memoryBytes / perLine;
    for (const [id, app] of idle) {
      if (this.heldLines <= target) break;
      this.apps.delete(id);
      this.stored.add(id);
      this.heldLines -= app.ring.length;
      this.evicted++;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    if (this.worker && !this.workerClosed) {
      const w = this.worker;
      this.workerClosed = new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.on('message', (m: FromWorker) => {
          if (m.op === 'closed') void w.terminate().then(() => resolve());
        });
      });
      w.postMessage({ op: 'close' } satisfies ToWorker);
    }
    await this.workerClosed;
  }

  private send(m: ToWorker): void {
    if (m.op === 'write') this.sentSeq++;
    if (this.worker) {
      this.worker.postMessage(m);
      if (m.op === 'write') this.unacked++;
      return;
    }
    const local = (this.local ??= new HistoryDiskWriter(this.db, this.capacity));
    if (m.op === 'write') {
      try {
        local.write(m.batch);
      } catch (err) {
        this.failedSeq = this.sentSeq;
        this.acked();
        throw err;
      }
      this.acked();
    } else if (m.op === 'drop') local.drop(m.appId);
  }

  private startWorker(): void {
    const init: WorkerInit = { file: this.db.name, capacity: this.capacity };
    const w = new Worker(new URL('./history-worker.js', import.meta.url), { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    w.unref(); // like the flush timer: the history never keeps the process alive by itself
    w.on('message', (m: FromWorker) => {
      if (m.op === 'error') {
        // An error answers a write (`written` follows it) or a drop; either way nothing durable.
        this.failedSeq = this.ackedSeq + 1;
        this.onError(new Error(m.message));
      } else if (m.op === 'written') {
        this.unacked--;
        this.acked();
        this.pump();
      }
    });
    // A worker that dies (it could not load SQLite, or crashed) hands the writes back to this
    // thread; what it had not written yet is lost, like a crash's last interval.
    const fallBack = (err?: unknown): void => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.unacked = 0;
      // What the worker had not acknowledged is lost: its waiters are told so.
      let lost = 0;
      while (this.marks.length > 0 && this.marks[0].seq <= this.sentSeq) lost = Math.max(lost, this.marks.shift()!.mark);
      this.ackedSeq = this.sentSeq;
      this.fail(lost, new Error('the history writer stopped before writing these lines'));
      if (err !== undefined) this.onError(err);
      try {
        this.pump(true); // what was waiting for the worker goes to this thread's connection
      } catch (e) {
        this.onError(e); // a disk error must not escape an event handler and end the process
      }
    };
    w.on('error', (err) => fallBack(err));
    w.on('exit', () => fallBack());
    this.worker = w;
  }

  private app(appId: string): AppHistory {
    let app = this.apps.get(appId);
    if (app === undefined) {
      app = { ring: new Ring<Entry>(this.capacity), written: 0, dirty: false, touched: this.clock, claimed: false, seq: 0 };
      if (this.stored.has(appId)) {
        const rows: string[][] = [];
        let lines = 0;
        for (const row of this.load.iterate(appId) as Iterable<{ seq: number; n: number; lines: string }>) {
          rows.unshift(JSON.parse(row.lines) as string[]);
          lines += row.n;
          if (lines >= this.capacity) break;
        }
        for (const chunk of rows) for (const text of chunk) app.ring.push(text);
        this.stored.delete(appId); // in memory now, until evicted again
      }
      app.written = app.ring.total; // already on disk
      this.heldLines += app.ring.length;
      this.apps.set(appId, app);
    }
    return app;
  }
}

/** Groups a flush's apps, in order, into parts of at least one app and at most `max` lines where possible. */
export function splitParts<T extends { lines: readonly unknown[] }>(items: readonly T[], max: number): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let n = 0;
  for (const item of items) {
    if (item.lines.length === 0) continue;
    if (part.length > 0 && n + item.lines.length > max) {
      parts.push(part);
      part = [];
      n = 0;
    }
    part.push(item);
    n += item.lines.length;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

function cook(e: Entry): Entry {
  return typeof e === 'string' ? e : cookSharing(e);
}

/** Readers get the line itself while it is fresh, a new parse of the text once it is cooked. */
function parsed(e: Entry): LogLine | undefined {
  if (typeof e !== 'string') return e;
  const r = parseRfc5424(e);
  return r.ok ? r.value : undefined;
}
