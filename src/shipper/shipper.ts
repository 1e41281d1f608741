// The shipper: lines in, batches out over keep-alive HTTP, one request in flight, bounded
// retries with backoff, losses reported as L12/L13. Shared by `sluice run`, `sluice ship` and
// the pino transport. The pure parts are queue.ts (buffer, batches, loss counts), encoder.ts
// (messages, splitting) and line-splitter.ts; this file owns the timers and the sending.
import { backoffDelay } from '../core/backoff.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_LINE_BYTES, PRI_STDERR, PRI_STDOUT, encodeMessage, isValidDyno, microTime, splitLine } from './encoder.js';
import { ShipQueue, type Batch, type LossCounters } from './queue.js';
import { Sender, type ShipTarget } from './sender.js';

export interface ShipperOptions {
  target: ShipTarget;
  /** PROCID of every line: `web.1`, `worker.3`. */
  dyno: string;
  /** Lines held while waiting for delivery (default 10,000); overflow drops the oldest (L12). */
  bufferLines?: number;
  /** Per request (defaults: 500 lines, 1 MiB, like log-shuttle's batch of 500). */
  batchLines?: number;
  batchBytes?: number;
  /** Attempts per batch before its lines count as lost (L13); default 5. */
  attempts?: number;
  /** Backoff between attempts: jittered, doubling from `retryBaseMs` up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Per-request timeout (default 5 s, log-shuttle's). */
  timeoutMs?: number;
  /** Losses an earlier run could not report (see loss-file.ts). */
  carryOver?: LossCounters;
  /** Told when lines are lost or start being dropped; never given the token or the URL. */
  onEvent?: (e: ShipperEvent) => void;
}

export type ShipperEvent =
  | { kind: 'lost'; lines: number; reason: string; unreported: number; since: Date }
  | { kind: 'overflow'; bufferLines: number }
  | { kind: 'retry'; attempt: number; reason: string; delayMs: number };

export type Stream = 'stdout' | 'stderr';

export class Shipper {
  private readonly queue: ShipQueue;
  private readonly sender: Sender;
  private readonly abort = new AbortController();
  private pumping: Promise<void> | undefined;
  private scheduled = false;
  private closing = false;
  private closed: Promise<LossCounters> | undefined;
  private readonly o: Required<Omit<ShipperOptions, 'carryOver' | 'onEvent' | 'target'>>;
  /** Lines accepted by write() (after splitting) and lines Sluice acknowledged. */
  written = 0;
  delivered = 0;

  constructor(private readonly opts: ShipperOptions) {
    if (!isValidDyno(opts.dyno)) throw new Error(`invalid dyno name "${opts.dyno}": 1–128 printable characters, no spaces`);
    this.o = {
      dyno: opts.dyno,
      bufferLines: opts.bufferLines ?? 10_000,
      batchLines: opts.batchLines ?? 500,
      batchBytes: opts.batchBytes ?? 1 << 20,
      attempts: Math.max(1, opts.attempts ?? 5),
      retryBaseMs: opts.retryBaseMs ?? 250,
      retryMaxMs: opts.retryMaxMs ?? 4_000,
      timeoutMs: opts.timeoutMs ?? 5_000,
    };
    this.queue = new ShipQueue({ capacity: this.o.bufferLines, maxBatchLines: this.o.batchLines, maxBatchBytes: this.o.batchBytes });
    if (opts.carryOver) this.queue.carryOver(opts.carryOver);
    this.sender = new Sender(opts.target, this.o.timeoutMs);
  }

  /** Totals since start. */
  get stats(): { written: number; delivered: number; dropped: number; lost: number } {
    return { written: this.written, delivered: this.delivered, dropped: this.queue.totalDropped, lost: this.queue.totalLost };
  }

  /**
   * Queues one line (no trailing newline). Lines over 10,000 bytes become several lines of at
   * most 10,000 bytes. Synchronous and never blocks: a full buffer drops its oldest line.
   */
  write(line: string, stream: Stream = 'stdout'): void {
    if (this.closing || line.length === 0) return;
    const time = microTime(new Date());
    const pri = stream === 'stderr' ? PRI_STDERR : PRI_STDOUT;
    const chunks = Buffer.byteLength(line) > MAX_LINE_BYTES ? splitLine(Buffer.from(line)).map((b) => b.toString('utf8')) : [line];
    for (const c of chunks) {
      const before = this.queue.losses.dropped;
      this.queue.push(encodeMessage(pri, time, this.o.dyno, c));
      this.written++;
      if (before === 0 && this.queue.losses.dropped > 0) this.opts.onEvent?.({ kind: 'overflow', bufferLines: this.o.bufferLines });
    }
    this.schedule();
  }

  /**
   * Delivers what is queued (and any unreported loss), waiting at most `timeoutMs`; what is
   * still undelivered then counts as lost. Resolves with the losses that could not be reported,
   * for the caller to carry over to the next run. Idempotent.
   */
  close(timeoutMs = 10_000): Promise<LossCounters> {
    return (this.closed ??= (async () => {
      this.closing = true;
      const timer = setTimeout(() => this.abort.abort(), timeoutMs);
      try {
        this.scheduled = false;
        // Let a running pump finish, then one more that may also send a report-only batch.
        await this.pumping;
        await this.run();
        const rest = this.queue.abandon();
        if (rest > 0) this.opts.onEvent?.({ kind: 'lost', lines: rest, reason: 'closing before they could be delivered', unreported: this.queue.losses.lost, since: this.queue.losses.lostSince ?? new Date() });
      } finally {
        clearTimeout(timer);
        await this.sender.close();
      }
      return { ...this.queue.losses };
    })());
  }

  /** Stops at once: nothing more is sent. */
  async destroy(): Promise<void> {
    this.closing = true;
    this.abort.abort();
    await this.pumping;
    await this.sender.close();
  }

  /** Sending starts on the next turn, so the lines of one read form one batch. */
  private schedule(): void {
    if (this.scheduled || this.pumping) return;
    this.scheduled = true;
    setImmediate(() => {
      if (!this.scheduled) return;
      this.scheduled = false;
      void this.run();
    });
  }

  private run(): Promise<void> {
    return (this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      // Lines written during the last await of a finished pump.
      if (this.queue.length > 0 && !this.closing) this.schedule();
    }));
  }

  private async pump(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const batch = this.queue.next(this.closing);
      if (!batch) return;
      const { ok, reason } = await this.deliver(batch);
      if (ok) {
        this.queue.delivered(batch);
        this.delivered += batch.lines;
        continue;
      }
      this.queue.failed(batch);
      const { lost, lostSince } = this.queue.losses;
      if (batch.lines > 0) this.opts.onEvent?.({ kind: 'lost', lines: batch.lines, reason, unreported: lost, since: lostSince ?? new Date() });
      // A report that cannot be delivered while closing is carried over, not retried forever.
      if (this.closing && batch.lines === 0) return;
    }
  }

  private async deliver(batch: Batch): Promise<{ ok: boolean; reason: string }> {
    const signal = this.abort.signal;
    const extra = { dropCount: batch.reportedDropped, lostCount: batch.reportedLost };
    for (let attempt = 1; ; attempt++) {
      const out = await this.sender.send(batch, extra, signal);
      if (out.kind === 'delivered') return { ok: true, reason: '' };
      if (out.kind === 'rejected' || attempt >= this.o.attempts || signal.aborted) {
        return { ok: false, reason: signal.aborted ? 'closing before they could be delivered' : out.reason };
      }
      const delayMs =
        out.retryAfterMs !== undefined
          ? Math.min(out.retryAfterMs, 30_000)
          : backoffDelay(attempt, this.o.retryBaseMs, this.o.retryMaxMs);
      this.opts.onEvent?.({ kind: 'retry', attempt, reason: out.reason, delayMs });
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        return { ok: false, reason: 'closing before they could be delivered' };
      }
    }
  }
}
