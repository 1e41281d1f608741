// Embedded history: each app's newest lines as cooked bytes in memory, written behind to SQLite.
import { Worker } from 'node:worker_threads';
import type { LogLine } from '../core/log-line.js';
import { Ring } from '../core/ring.js';
import type { Db } from '../store/sqlite-db.js';
import { cookedWireEnd } from '../wire/cooked.js';
import { formatRfc5424, parseRfc5424 } from '../wire/rfc5424.js';
import { HISTORY_LINES, type History } from './contract.js';
import { chunksOf, HistoryDiskWriter, type WriteIndex } from './disk-writer.js';
import type { FromWorker, ToWorker, WorkerInit } from './history-worker.js';
import { LineLog } from './line-log.js';

interface AppHistory {
  /**
   * An app's lines are cooked as they come, up to EAGER_LINES per flush interval; past that,
   * they wait here as routed until the flush (a line costs one reference, and one displaced
   * before the flush is never cooked at all).
   */
  fresh: Ring<LogLine>;
  /** Cooked lines, as bytes (those a flush has taken and the ones loaded from disk). */
  log: LineLog;
  /** Listed in `dirty` (has lines no flush has taken yet). */
  dirty: boolean;
  /** `SqliteHistory.clock` when a line last arrived: idle apps are the ones evicted. */
  touched: number;
  /** Taken by a flush whose part is not posted yet. */
  claimed: boolean;
  /** The last write (`sentSeq`) that carried its lines: on disk once acknowledged. */
  seq: number;
}

/** One app's share of a part: its lines' records at `start`–`end` of the part's buffer. */
interface PartItem {
  app: AppHistory;
  appId: string;
  n: number;
  start: number;
  end: number;
}

/** A flush's part waiting to be posted; `mark`: lines delivered before it, durable once it is written. */
interface Part {
  /** A buffer from `spare` or new, of at least `bytes`. */
  records: ArrayBuffer;
  bytes: number;
  items: PartItem[];
  mark?: number;
}

/** A caller of `durable()`: resolved once `target` delivered lines are written. */
interface DurableWaiter {
  target: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Bytes per message to the writer (whole apps, at least one): with thousands of busy apps one
 * flush takes hundreds of MB. The parts are posted one at a time, each when the writer has
 * acknowledged the last, so at most one waits in the worker's queue. Past four parts' worth
 * waiting to be posted, no new flush is taken (the disk is behind; lines wait in their logs).
 */
const PART_BYTES = 4 << 20;
/** Part buffers are sized in these steps, so that a spare one fits the next part. */
const SPARE_UNIT = 1 << 20;
/** Spare part buffers kept. */
const SPARES = 2;
/**
 * Memory the apps' lines may hold (their chunks' bytes): past it, apps idle for EVICT_IDLE_MS
 * whose lines are all written are dropped from memory and loaded again from SQLite when next
 * touched. 1,000 apps × 1,500 lines of 260 bytes would otherwise be ~400 MB. Apps that are busy
 * are never evicted (no load-per-line thrash), so this is a soft budget. 40 MiB is ~150,000
 * lines (~100 full apps).
 */
export const HISTORY_MEMORY_BYTES = 40 << 20;
const EVICT_IDLE_MS = 1_000;
/**
 * Apps holding less are never evicted: forgetting one saves next to nothing and costs a SELECT
 * on the routing thread when it next logs. With 10,000 apps that had logged a line each, the
 * budget being exceeded evicted them all, and each was loaded again when its lines came (8,000
 * loads in one run). 10,000 apps below this hold at most 40 MiB.
 */
const EVICT_MIN_BYTES = 4 << 10;
/**
 * Flush interval. A line waits in its app's ring as a routed LogLine (its parsed fields, ~600
 * bytes of objects) until a flush cooks it. At 50 ms most lines outlived two young-generation
 * collections, were copied into the old generation and died there: with 1,000 drains down the
 * peak RSS was 288–301 MiB, at 25 ms 271–279 MiB, with syslog → syslog throughput unchanged.
 * It is also how much of the on-disk copy a `kill -9` can take.
 */
const FLUSH_MS = 25;
/**
 * Lines per app and flush interval cooked at once (into bytes, from the frame when it can stand
 * in): the routed record then dies young. With 10,000 apps every line is kept, and records
 * waiting for the flush were most of what each young-generation collection copied (scavenges
 * were a quarter of the routing thread). An app past this in one interval (10,000 lines/s) has
 * the rest wait for the flush, where all but the newest 1,500 are skipped: cooking each line at
 * once cost one app at 500,000 lines/s 15% of its throughput, cooking 256 per interval ~2%.
 */
const EAGER_LINES = 256;
/** Least time between two looks at every app for eviction. */
const EVICT_SCAN_MS = 250;

/**
 * Reads come from memory, so they never wait for the disk and never block input. A delivered
 * line is cooked into its app's LineLog at once (bytes off the V8 heap: line-log.ts says why),
 * or, past EAGER_LINES in one flush interval, waits in the app's ring until the flush cooks the
 * newest of those. Each flush copies every app's new records into one buffer per part of up to
 * 4 MiB and transfers it to the writer, which stores one row per app (the records as a BLOB) in
 * one transaction and deletes the app's oldest rows once the rest still hold the whole history;
 * a crash loses about one flush interval of the on-disk copy (more when the disk falls behind).
 * An app's lines are loaded the first time the app is touched after a start, so idle apps cost
 * nothing.
 *
 * The SQLite writes run on a worker thread with its own connection (history-worker.ts), so
 * neither a write nor a WAL checkpoint can stall routing. An in-memory database, or a worker
 * that fails, falls back to writing on the main thread's connection.
 */
export class SqliteHistory implements History {
  private apps = new Map<string, AppHistory>();
  private dirty = new Map<AppHistory, string>();
  private timer: NodeJS.Timeout;
  private readonly capacity: number;
  private readonly onError: (err: unknown) => void;
  private readonly load;
  /**
   * Apps that may have rows on disk without lines in memory: those the table held at start, and
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
  /** Parts not yet posted, oldest first (each app's rows stay in order), and their bytes. */
  private outbox: Part[] = [];
  private outboxBytes = 0;
  /**
   * Part buffers the writer has handed back, for the next parts: a fresh buffer for every part
   * had its pages faulted in on the first copy into it (a fifth of the routing thread's time
   * with 10,000 apps) and freed on the writer's side.
   */
  private spare: ArrayBuffer[] = [];
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
  /** Bytes all apps' lines hold in memory. */
  private heldBytes = 0;
  private readonly memoryBytes: number;
  private readonly evictIdleMs: number;
  private readonly partBytes: number;
  /** Apps evicted from memory so far (tests, and the reason a read may touch the disk). */
  evicted = 0;

  constructor(
    private readonly db: Db,
    opts: { flushMs?: number; capacity?: number; onError?: (err: unknown) => void; worker?: boolean; memoryBytes?: number; evictIdleMs?: number; partBytes?: number } = {},
  ) {
    this.capacity = opts.capacity ?? HISTORY_LINES;
    this.memoryBytes = opts.memoryBytes ?? HISTORY_MEMORY_BYTES;
    this.evictIdleMs = opts.evictIdleMs ?? EVICT_IDLE_MS;
    this.partBytes = opts.partBytes ?? PART_BYTES;
    this.onError = opts.onError ?? (() => {});
    this.load = db.prepare('SELECT seq, n, lines FROM history WHERE app_id = ? ORDER BY seq DESC');
    this.stored = new Set((db.prepare('SELECT DISTINCT app_id FROM history').pluck().all() as string[]));
    if (db.memory || opts.worker === false) this.local = new HistoryDiskWriter(db, this.capacity);
    else this.startWorker();
    this.timer = setInterval(this.nextFlush, opts.flushMs ?? FLUSH_MS);
    this.timer.unref();
  }

  deliver(appId: string, line: LogLine, wire?: Uint8Array): void {
    const app = this.app(appId);
    if (app.fresh.length === 0 && app.log.pendingLines < EAGER_LINES) {
      const end = wire === undefined ? -1 : cookedWireEnd(line, wire);
      this.heldBytes += end > 0 ? app.log.appendWire(line, wire!, end) : app.log.append(formatRfc5424(line));
    } else app.fresh.push(line);
    app.touched = this.clock;
    this.delivered++;
    if (!app.dirty) {
      app.dirty = true;
      this.dirty.set(app, appId);
    }
  }

  async read(appId: string, n: number, keep?: (line: LogLine) => boolean): Promise<LogLine[]> {
    const { fresh, log } = this.app(appId);
    const want = Math.max(0, Math.min(n, this.capacity));
    // The newest lines are the fresh ones (themselves), then the cooked ones (parsed again).
    if (!keep) {
      const newest = fresh.last(want);
      const cooked = log.last(want - newest.length);
      const out: LogLine[] = [];
      for (const text of cooked) {
        const line = parsed(text);
        if (line) out.push(line);
      }
      for (const line of newest) out.push(line);
      return out;
    }
    // Scan newest-first until enough lines match, then return them oldest-first.
    const out: LogLine[] = [];
    const lines = fresh.last();
    for (let i = lines.length - 1; i >= 0 && out.length < want; i--) if (keep(lines[i])) out.push(lines[i]);
    const all = out.length < want ? log.last(this.capacity - lines.length) : [];
    for (let i = all.length - 1; i >= 0 && out.length < want; i--) {
      const line = parsed(all[i]);
      if (line && keep(line)) out.push(line);
    }
    return out.reverse();
  }

  /**
   * Resolves once every line delivered until now is committed to the database's write-ahead
   * log (the worker's transaction returned): a `kill -9` after that loses none of them. A
   * waiting caller starts the next flush on the next turn instead of the timer's, so the
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
          this.nextFlush();
        });
      }
    });
  }

  drop(appId: string): void {
    const app = this.apps.get(appId);
    if (app) {
      this.dirty.delete(app);
      this.heldBytes -= app.log.bytes;
      app.log.release();
      app.fresh.clear();
    }
    this.stored.delete(appId);
    this.apps.delete(appId); // a part waiting to be posted leaves it out
    this.send({ op: 'drop', appId });
  }

  /** Writes everything delivered so far, now. */
  flush(): void {
    this.take();
    this.pump(true);
  }

  /** The timer's flush, unless the disk is far behind (the lines wait in their logs meanwhile). */
  private readonly nextFlush = (): void => {
    this.clock = Date.now();
    this.evictIdle();
    if (this.outboxBytes < 4 * this.partBytes) {
      this.take();
      this.pump();
    } else for (const app of this.dirty.keys()) this.cook(app); // routed records would pile up meanwhile
  };

  /**
   * Takes every dirty app's new records into parts (one buffer each), in order, marks the last
   * with the lines delivered so far, and queues them. Lines delivered later go to the next flush.
   */
  private take(): void {
    const mark = this.delivered;
    const claimed: Array<{ app: AppHistory; appId: string; bytes: number }> = [];
    for (const [app, appId] of this.dirty) {
      app.dirty = false;
      this.cook(app);
      claimed.push({ app, appId, bytes: app.log.pendingBytes });
    }
    this.dirty.clear();
    const parts = splitParts(claimed, this.partBytes, (c) => c.bytes).map((group) => this.part(group));
    // The flush's last part, once written, makes every line delivered before it durable; a
    // flush with nothing to write rides on the part before it.
    if (parts.length > 0) parts[parts.length - 1].mark = mark;
    else if (this.outbox.length > 0) this.outbox[this.outbox.length - 1].mark = mark;
    else this.marks.push({ seq: this.sentSeq, mark });
    for (const part of parts) {
      this.outbox.push(part);
      this.outboxBytes += part.bytes;
    }
  }

  /** Moves an app's fresh lines (the newest `capacity` of them) into its log, cooked. */
  private cook(app: AppHistory): void {
    if (app.fresh.length === 0) return;
    for (const line of app.fresh.last()) this.heldBytes += app.log.append(formatRfc5424(line));
    app.fresh.clear();
  }

  /** One part: the group's new records copied into one buffer, app after app. */
  private part(group: ReadonlyArray<{ app: AppHistory; appId: string; bytes: number }>): Part {
    const bytes = group.reduce((sum, c) => sum + c.bytes, 0);
    const i = this.spare.findIndex((b) => b.byteLength >= bytes);
    const records = i >= 0 ? this.spare.splice(i, 1)[0] : new ArrayBuffer(Math.ceil(bytes / SPARE_UNIT) * SPARE_UNIT);
    const view = new Uint8Array(records, 0, bytes);
    const items: PartItem[] = [];
    let at = 0;
    for (const { app, appId, bytes } of group) {
      const n = app.log.take(view, at);
      app.claimed = true;
      items.push({ app, appId, n, start: at, end: at + bytes });
      at += bytes;
    }
    return { records, bytes, items };
  }

  /**
   * Posts parts, oldest first: one while the writer has none unacknowledged, or all of them
   * when `all` (a synchronous flush). Apps dropped meanwhile are left out, so no row of theirs
   * lands after their `drop`.
   */
  private pump(all = false): void {
    try {
      while (this.outbox.length > 0 && (all || this.unacked === 0)) {
        const part = this.outbox.shift()!;
        this.outboxBytes -= part.bytes;
        const index: WriteIndex[] = [];
        for (const { app, appId, n, start, end } of part.items) {
          app.claimed = false;
          app.seq = this.sentSeq + 1;
          if (this.apps.get(appId) === app) index.push([appId, n, start, end]);
        }
        // The mark goes with this write, or, when nothing is left to write, with the last one sent.
        if (part.mark !== undefined) this.marks.push({ seq: this.sentSeq + (index.length > 0 ? 1 : 0), mark: part.mark });
        if (index.length > 0) this.send({ op: 'write', records: part.records, index });
      }
    } catch (err) {
      // A disk error (full, read-only) must not take the router down: memory still serves reads.
      this.onError(err);
    }
    this.settle();
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
   * Past the memory budget: forgets the lines of apps idle for EVICT_IDLE_MS whose every line is
   * in SQLite (taken, posted, acknowledged, not failed), those holding the most bytes first.
   */
  private evictIdle(): void {
    if (this.heldBytes <= this.memoryBytes) return;
    // Looking at every app each flush is most of the cost with 10,000 apps; an app becomes
    // evictable only after EVICT_IDLE_MS anyway.
    if (this.clock - this.evictScanAt < Math.min(EVICT_SCAN_MS, this.evictIdleMs)) return;
    this.evictScanAt = this.clock;
    const idleBefore = this.clock - this.evictIdleMs;
    const onDisk = (a: AppHistory): boolean => !a.dirty && !a.claimed && a.fresh.length === 0 && a.log.pendingLines === 0 && a.seq <= this.ackedSeq && a.seq !== this.failedSeq;
    const idle: Array<[string, AppHistory]> = [];
    for (const [id, app] of this.apps) if (app.touched <= idleBefore && app.log.bytes >= EVICT_MIN_BYTES && onDisk(app)) idle.push([id, app]);
    // Most bytes first (least recent among equals): every eviction costs a load when the app
    // next logs, whatever it held, so the fewest evictions that get back within the budget are
    // the best. Least recent first forgot thousands of apps holding a line or two (they had been
    // quiet longest) and loaded each again on its next line, for next to no memory.
    idle.sort((a, b) => b[1].log.bytes - a[1].log.bytes || a[1].touched - b[1].touched);
    for (const [id, app] of idle) {
      if (this.heldBytes <= this.memoryBytes) break;
      this.apps.delete(id);
      this.stored.add(id);
      this.heldBytes -= app.log.bytes;
      app.log.release();
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
      // A write's buffer is transferred: the worker gets it without a copy, this thread lets go.
      this.worker.postMessage(m, m.op === 'write' ? [m.records] : []);
      if (m.op === 'write') this.unacked++;
      return;
    }
    const local = (this.local ??= new HistoryDiskWriter(this.db, this.capacity));
    if (m.op === 'write') {
      try {
        local.write(chunksOf(m.records, m.index));
      } catch (err) {
        this.failedSeq = this.sentSeq;
        this.acked();
        throw err;
      } finally {
        this.recycle(m.records);
      }
      this.acked();
    } else if (m.op === 'drop') local.drop(m.appId);
  }

  /** Keeps a written part's buffer for a later part (SQLite has copied what it needed). */
  private recycle(records: ArrayBuffer): void {
    if (this.spare.length < SPARES && records.byteLength <= this.partBytes + SPARE_UNIT) this.spare.push(records);
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
        if (m.records !== undefined) this.recycle(m.records);
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
      app = { fresh: new Ring<LogLine>(this.capacity), log: new LineLog(this.capacity), dirty: false, touched: this.clock, claimed: false, seq: 0 };
      if (this.stored.has(appId)) {
        const rows: Array<Uint8Array | string> = [];
        let lines = 0;
        for (const row of this.load.iterate(appId) as Iterable<{ seq: number; n: number; lines: Uint8Array | string }>) {
          rows.unshift(row.lines);
          lines += row.n;
          if (lines >= this.capacity) break;
        }
        for (const row of rows) {
          try {
            this.heldBytes += app.log.load(row); // already on disk
          } catch {
            // A row that is not JSON (damaged on disk): left out and said, never thrown at
            // routing. The parser's message would quote the row's text, so it is not passed on.
            this.onError(new Error('a stored history row could not be read and was skipped'));
          }
        }
        this.stored.delete(appId); // in memory now, until evicted again
      }
      this.apps.set(appId, app);
    }
    return app;
  }
}

/** Groups a flush's apps, in order, into parts of at least one app and at most `max` (by `size`) where possible; apps of size 0 are left out. */
export function splitParts<T>(items: readonly T[], max: number, size: (item: T) => number): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let n = 0;
  for (const item of items) {
    const k = size(item);
    if (k === 0) continue;
    if (part.length > 0 && n + k > max) {
      parts.push(part);
      part = [];
      n = 0;
    }
    part.push(item);
    n += k;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** Readers get a new parse of a cooked line's text. */
function parsed(text: string): LogLine | undefined {
  const r = parseRfc5424(text);
  return r.ok ? r.value : undefined;
}
