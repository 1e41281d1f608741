// The drain manager: the router's subscriber for drains. It follows the config store (drains
// created, moved or deleted by anyone — the API, add-on partners, another node) and owns one
// drain per record, with its queue (memory, then the drain's spool directory) and health.
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { LogLine } from '../core/log-line.js';
import type { Subscriber } from '../router/subscriber.js';
import type { ConfigStore } from '../store/contract.js';
import type { DrainRecord } from '../store/records.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { SignalPayload } from '../wire/otlp/types.js';
import { DEFAULT_DRAIN_OPTIONS, type Drain, type DrainOptions, type DrainTestResult } from './contract.js';
import type { FrameEncoder } from './encoder.js';
import { HealthTracker, type DrainHealth } from './health.js';
import { registerDrainMetrics } from './metrics.js';
import { SpoolBudget } from './queue/budget.js';
import { DrainQueue } from './queue/queue.js';
import { BOOK_FILE, StateBook } from './queue/state-book.js';
import { defaultRegistry, type DrainRegistry } from './registry.js';
import { drainKindOf, type DrainKind } from './url.js';
import { encodeSignal } from './otlp/signal-record.js';

/** Budgets and spool settings (SPEC §8). */
export interface QueueSettings {
  /** `--drain-memory-bytes`: per drain, default 1 MiB. */
  memoryBytes: number;
  /** `--drain-spool-bytes`: per drain on disk, default 256 MiB. */
  spoolBytes: number;
  /** `--spool-max-bytes`: all drains on disk, default 4 GiB (and never past 90% of the disk). */
  spoolMaxBytes: number;
  /** `--spool-sync-ms`: how often queued lines are written to the spool, default 100 ms. */
  syncMs: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  memoryBytes: 1 << 20,
  spoolBytes: 256 << 20,
  spoolMaxBytes: 4 * 1024 ** 3,
  syncMs: 100,
};

export interface DrainManagerOptions {
  /** `<data-dir>/spool`: one directory per drain. Absent: queues live in memory only. */
  spoolDir?: string;
  queue?: Partial<QueueSettings>;
  options?: Partial<DrainOptions>;
  registry?: DrainRegistry;
  /** Extra CA (PEM) trusted for TLS drains, besides the system's. */
  ca?: Buffer;
  /** Writes into an app's log without going to its drains (history and tails): L14. */
  appLog?: (appId: string, line: LogLine) => void;
  metrics?: Metrics;
  logger?: Logger;
  /**
   * Cluster mode: whether this node owns the drain. Drains it does not own get no worker here;
   * `resync(id)` is called when that changes, and the owner feeds lines with `push`.
   */
  owns?: (drainId: string) => boolean;
}

export interface Entry {
  record: DrainRecord;
  /** False for a telemetry drain that did not ask for logs. */
  logs: boolean;
  kind: DrainKind | undefined;
  drain: Drain | undefined;
  encoder: FrameEncoder | undefined;
  queue: DrainQueue;
  /** Telemetry drains: the passed-through traces/metrics requests (see signalQueue). */
  signals: DrainQueue | undefined;
  health: HealthTracker;
}

/** Memory for a telemetry drain's passed-through requests before they go to its spool. */
const SIGNAL_MEMORY_BYTES = 8 << 20;

/** Drain states are written at most this often (records carry what is done meanwhile). */
const STATE_EVERY_MS = 1_000;

export class DrainManager implements Subscriber {
  private readonly entries = new Map<string, Entry>();
  /** appId → the drains of that app, as an array: the hot path iterates without allocating. */
  private readonly byApp = new Map<string, Entry[]>();
  private readonly options: DrainOptions;
  private readonly registry: DrainRegistry;
  private readonly settings: QueueSettings;
  private readonly budget: SpoolBudget;
  /** Every drain's state, in one file (`<spool>/drains.state`). */
  private readonly book: StateBook | undefined;
  private readonly log: Logger;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastStateAt = 0;
  private stopped = false;
  /** Queues changed since the last spool sync (their `onDirty`): the only ones the sync visits. */
  private toSync = new Set<Entry>();
  /** Queues synced since the last state write. */
  private readonly toSave = new Set<Entry>();

  constructor(
    private readonly store: ConfigStore,
    private readonly o: DrainManagerOptions = {},
  ) {
    this.options = { ...DEFAULT_DRAIN_OPTIONS, ...o.options };
    this.registry = o.registry ?? defaultRegistry();
    this.settings = { ...DEFAULT_QUEUE_SETTINGS, ...o.queue };
    this.budget = new SpoolBudget(this.settings.spoolMaxBytes, o.spoolDir);
    this.book = o.spoolDir ? new StateBook(o.spoolDir) : undefined;
    this.log = o.logger ?? silentLogger();
    if (o.metrics) registerDrainMetrics(o.metrics, this);
  }

  /** Starts a drain for every stored record and follows changes from then on. */
  start(): this {
    this.unsubscribe = this.store.onChange((kind, id) => {
      if (kind === 'drain') this.sync(id);
    });
    for (const d of this.store.listDrains()) this.sync(d.id);
    this.removeOrphanSpools();
    if (this.o.spoolDir) {
      this.timer = setInterval(() => this.syncSpools(), this.settings.syncMs);
      this.timer.unref();
    }
    return this;
  }

  /** The hot path: each line is encoded once per layout and its bytes queued for every drain. */
  deliver(appId: string, line: LogLine, wire?: Uint8Array): void {
    const list = this.byApp.get(appId);
    if (list === undefined) return;
    let k0: string | undefined;
    let p0: unknown;
    let k1: string | undefined;
    let p1: unknown;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (!e.logs) continue; // a telemetry drain that asked for traces or metrics only
      const enc = e.encoder;
      if (enc === undefined) {
        e.queue.counters.dropped++; // a record we cannot deliver to: counted, never held
        continue;
      }
      let p: unknown;
      if (enc.key === k0) p = p0;
      else if (enc.key === k1) p = p1;
      else {
        p = enc.prepare(line, wire);
        if (k0 === undefined) [k0, p0] = [enc.key, p];
        else [k1, p1] = [enc.key, p];
      }
      enc.put(p, e.queue);
      e.drain?.wake();
    }
  }

  /** A traces or metrics request to every telemetry drain of the app that asked for that signal; returns how many. */
  forward(appId: string, payload: SignalPayload): number {
    let n = 0;
    for (const e of this.byApp.get(appId) ?? []) if (this.queueSignal(e, payload)) n++;
    return n;
  }

  /** A traces or metrics request to one telemetry drain running here (cluster mode: relayed by another node). */
  forwardTo(drainId: string, payload: SignalPayload): boolean {
    const e = this.entries.get(drainId);
    return e !== undefined && this.queueSignal(e, payload);
  }

  /** Queues the request for the drain if it is a telemetry drain that asked for this signal. */
  private queueSignal(e: Entry, payload: SignalPayload): boolean {
    if (!e.signals || !e.record.telemetry?.signals.includes(payload.signal)) return false;
    e.signals.push(encodeSignal(payload));
    e.drain?.wake();
    return true;
  }

  /**
   * One drain's lines, fed by its owner (cluster mode), numbered by the feed so that a batch keeps
   * its Frame-Id when another owner sends it again; false when the drain runs no worker here.
   */
  push(drainId: string, line: LogLine, lineNumber?: number): boolean {
    const e = this.entries.get(drainId);
    if (e === undefined) return false;
    if (!e.logs) return true; // a telemetry drain that asked for traces or metrics only
    const enc = e.encoder;
    if (enc === undefined) {
      e.queue.counters.dropped++;
      return true;
    }
    if (lineNumber !== undefined) e.queue.numberNext(lineNumber);
    enc.put(enc.prepare(line), e.queue);
    e.drain?.wake();
    return true;
  }

  /**
   * Lines of the drain lost before they reached it (cluster mode: discarded by the drain stream's
   * limits): counted as dropped and told to the receiver in the next L10.
   */
  lost(drainId: string, lines: number, since: Date): void {
    const e = this.entries.get(drainId);
    if (e === undefined || lines <= 0) return;
    e.queue.counters.dropped += lines;
    e.queue.loss.add(lines, since);
    e.drain?.wake();
  }

  /** Ownership of `id` changed (cluster mode): start or stop its worker. */
  resync(id: string): void {
    this.sync(id);
  }

  /** Brings the running drain for `id` in line with the store: create, move, or stop. */
  private sync(id: string): void {
    if (this.stopped) return;
    const owned = this.o.owns?.(id) ?? true;
    const rec = owned ? this.store.getDrain(id) : undefined;
    const cur = this.entries.get(id);
    if (!rec) {
      if (cur) this.remove(cur);
      return;
    }
    if (
      cur &&
      cur.record.url === rec.url &&
      cur.record.token === rec.token &&
      cur.record.app_id === rec.app_id &&
      JSON.stringify(cur.record.telemetry) === JSON.stringify(rec.telemetry)
    ) {
      cur.record = rec;
      return;
    }
    if (cur && cur.record.app_id !== rec.app_id) this.remove(cur);
    const keep = cur && cur.record.app_id === rec.app_id ? cur : undefined;
    // A moved drain keeps its queue and counters: lines queued for the old URL go to the new one
    // (in the layout they were encoded in).
    keep?.drain?.destroy();
    const kind = rec.telemetry ? rec.telemetry.type : drainKindOf(rec.url);
    const spec = kind && this.registry.spec(kind);
    const entry = keep ?? this.newEntry(rec, spec ? spec.block(this.options) : { bytes: this.options.batchMaxBytes, lines: this.options.batchMaxMessages });
    entry.record = rec;
    entry.kind = kind;
    entry.logs = !rec.telemetry || rec.telemetry.signals.includes('logs');
    entry.drain = undefined;
    entry.encoder = undefined;
    if (kind && spec) {
      try {
        const appName = this.store.getApp(rec.app_id)?.name ?? rec.app_id;
        entry.encoder = spec.encoder({ token: rec.token, format: rec.format, appName });
        entry.drain = spec.create({
          id: rec.id,
          appId: rec.app_id,
          token: rec.token,
          url: rec.url,
          kind,
          queue: entry.queue,
          signals: entry.signals,
          encoder: entry.encoder,
          health: entry.health,
          options: this.options,
          ca: this.o.ca,
          telemetry: rec.telemetry ? { ...rec.telemetry, appName } : undefined,
          appLog: (line) => this.o.appLog?.(rec.app_id, line),
        });
      } catch {
        entry.drain = undefined;
        entry.encoder = undefined;
      }
    }
    if (!entry.drain) entry.health.failure('the drain URL cannot be delivered to (unsupported or malformed)', true);
    if (!keep) {
      this.entries.set(id, entry);
      const list = this.byApp.get(rec.app_id) ?? [];
      this.byApp.set(rec.app_id, [...list, entry]);
    }
    entry.drain?.wake(); // what the spool or the old drain left is delivered now
  }

  private newEntry(rec: DrainRecord, block: { bytes: number; lines: number }): Entry {
    const s = this.settings;
    const queue = new DrainQueue({
      memoryBytes: s.memoryBytes,
      blockBytes: block.bytes,
      blockLines: block.lines,
      spool: this.o.spoolDir ? { dir: path.join(this.o.spoolDir, rec.id), budget: this.budget, maxBytes: s.spoolBytes, book: this.book, key: rec.id } : undefined,
    });
    const r = queue.recover();
    if (r.lines > 0 || r.skippedLines > 0 || r.skippedBytes > 0) {
      const fields = { drain: rec.id, app: rec.app_id, queued_lines: r.lines, skipped_lines: r.skippedLines, skipped_bytes: r.skippedBytes };
      if (r.skippedLines > 0 || r.skippedBytes > 0) this.log.warn(fields, 'drain spool had unreadable records: skipped and counted (L10)');
      else this.log.info(fields, 'drain spool recovered: delivery resumes');
    }
    const health = new HealthTracker(this.options.failingAfter);
    const signals = rec.telemetry ? this.signalQueue(rec) : undefined;
    const entry: Entry = { record: rec, logs: true, kind: undefined, drain: undefined, encoder: undefined, queue, signals, health };
    health.onChange = (state, previous, error) => {
      // A receiver that is behind or down: its lines go to disk instead of waiting in memory.
      queue.spillAll = state !== 'delivering';
      if (entry.signals) entry.signals.spillAll = queue.spillAll;
      this.toSync.add(entry); // the next sync lets go of memory copies already on disk
      const fields = { drain: rec.id, app: rec.app_id, state, previous, ...(error ? { error } : {}) };
      if (state === 'delivering') this.log.info(fields, 'drain delivering again');
      else this.log.warn(fields, `drain ${state}`);
    };
    if (this.o.spoolDir) {
      queue.onDirty = () => this.toSync.add(entry);
      if (entry.signals) entry.signals.onDirty = () => this.toSync.add(entry);
      this.toSync.add(entry); // what recover() counted is saved with the next state write
    }
    return entry;
  }

  /**
   * A telemetry drain's traces/metrics requests: one request per block, up to 8 MiB in memory
   * (one request may be as large as a body Sluice accepts), then the drain's spool directory
   * under `signals/` within its own disk budget, as lines are.
   */
  private signalQueue(rec: DrainRecord): DrainQueue {
    const s = this.settings;
    const q = new DrainQueue({
      memoryBytes: Math.max(s.memoryBytes, SIGNAL_MEMORY_BYTES),
      blockBytes: 1,
      blockLines: 1,
      spool: this.o.spoolDir ? { dir: path.join(this.o.spoolDir, rec.id, 'signals'), budget: this.budget, maxBytes: s.spoolBytes, book: this.book, key: `${rec.id}/signals` } : undefined,
    });
    const r = q.recover();
    if (r.lines > 0 || r.skippedLines > 0) this.log.info({ drain: rec.id, app: rec.app_id, queued_requests: r.lines, skipped_requests: r.skippedLines }, 'telemetry drain spool recovered: passed-through requests resume');
    return q;
  }

  private remove(e: Entry): void {
    e.drain?.destroy();
    e.signals?.destroy();
    e.queue.destroy();
    this.toSync.delete(e);
    this.toSave.delete(e);
    this.entries.delete(e.record.id);
    const list = this.byApp.get(e.record.app_id);
    if (list) {
      const next = list.filter((x) => x !== e);
      if (next.length) this.byApp.set(e.record.app_id, next);
      else this.byApp.delete(e.record.app_id);
    }
  }

  /** Spool directories and states of drains that no longer exist (deleted while Sluice was stopped). */
  private removeOrphanSpools(): void {
    const dir = this.o.spoolDir;
    if (!dir) return;
    const gone = (id: string): boolean => !this.entries.has(id) && !this.store.getDrain(id);
    for (const k of this.book?.keys() ?? []) if (gone(k.split('/')[0])) this.book?.drop(k);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) if (!n.startsWith(BOOK_FILE) && gone(n)) rmSync(path.join(dir, n), { recursive: true, force: true });
  }

  /**
   * The periodic spool sync: queued lines to disk, fdatasync, and (each second) the states, in
   * one write — for the queues that changed since the last sync only, so idle drains cost nothing.
   */
  private syncSpools(): void {
    const list = this.toSync;
    this.toSync = new Set();
    for (const e of list) {
      // Lines a budget or the disk would not take yet: tried again next time.
      let again = e.queue.sync();
      void e.queue.flush();
      if (e.signals) {
        again = e.signals.sync() || again;
        void e.signals.flush();
      }
      if (again) this.toSync.add(e);
      this.toSave.add(e);
    }
    if (Date.now() - this.lastStateAt < STATE_EVERY_MS) return;
    this.lastStateAt = Date.now();
    for (const e of this.toSave) {
      e.queue.saveState();
      e.signals?.saveState();
    }
    this.toSave.clear();
    this.book?.commit(); // also what a full disk refused last time
  }

  /** Every drain with its state (metrics). */
  list(): Entry[] {
    return [...this.entries.values()];
  }

  /** Bytes of all spools together, and the budget they share. */
  spoolUsage(): { bytes: number; max: number } {
    return { bytes: this.budget.used, max: this.budget.maxBytes };
  }

  health(id: string): DrainHealth | undefined {
    const e = this.entries.get(id);
    return e ? e.health.snapshot(e.queue.counters, e.queue.stats()) : undefined;
  }

  /** A telemetry drain's passed-through traces/metrics requests queued and lost (undefined for other drains). */
  signalStats(id: string): { queued: number; dropped: number; spool_bytes: number } | undefined {
    const q = this.entries.get(id)?.signals;
    return q ? { queued: q.length, dropped: q.counters.dropped, spool_bytes: q.stats().disk_bytes } : undefined;
  }

  async test(id: string): Promise<DrainTestResult | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (!e.drain) {
      return { ok: false, kind: e.kind ?? 'http', connected: false, tls: null, status: null, error: 'unsupported drain URL', duration_ms: 0 };
    }
    return e.drain.test();
  }

  /**
   * Delivers for up to `graceMs` (SPEC §8: 10 s on SIGTERM), then stops every drain and moves
   * what is still queued to the spool. Logs per drain how many lines were kept.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    const deadline = Date.now() + graceMs;
    await Promise.all([...this.entries.values()].map((e) => e.drain?.close(deadline)));
    let keptAll = 0;
    for (const e of this.entries.values()) {
      const signalsLeft = e.signals?.length ?? 0;
      const signalsKept = (await e.signals?.close()) ?? 0;
      if (signalsLeft > 0) this.log.info({ drain: e.record.id, app: e.record.app_id, kept_requests: signalsKept, lost_requests: signalsLeft - signalsKept }, 'telemetry drain stopped: passed-through requests kept in the spool');
      const left = e.queue.length;
      const kept = await e.queue.close();
      keptAll += kept;
      if (left > 0) {
        const fields = { drain: e.record.id, app: e.record.app_id, kept_lines: kept, lost_lines: left - kept };
        if (kept < left) this.log.warn(fields, 'drain stopped with lines the spool could not keep');
        else this.log.info(fields, 'drain stopped: queued lines kept in the spool for the next start');
      }
    }
    if (this.book && !this.book.commit()) this.log.warn({ drains: this.entries.size }, 'drain states could not be written (disk full?): the next start counts from the last write and may send some delivered lines again; queued lines are kept');
    this.book?.close();
    if (this.entries.size > 0) this.log.info({ drains: this.entries.size, kept_lines: keptAll }, 'drains stopped');
    this.entries.clear();
    this.byApp.clear();
  }
}
