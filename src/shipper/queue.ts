// The shipper's bounded buffer and batch builder, with loss accounting (L12/L13). Pure: no I/O,
// no timers; the clock is passed in.
import { randomBytes } from 'node:crypto';
import { Ring } from '../core/ring.js';
import { PRI_REPORT, encodeMessage, l12Text, l13Text, microTime } from './encoder.js';

/** Losses not yet reported: counts and the time of the first one. */
export interface LossCounters {
  dropped: number;
  droppedSince?: Date;
  lost: number;
  lostSince?: Date;
}

export interface Batch {
  /** 32 uppercase hex digits, sent as `Logplex-Frame-Id`; the same on every retry of the batch. */
  frameId: string;
  /** RFC 5424 messages, report lines (L12/L13) first. */
  messages: string[];
  /** The application's lines in this batch (what is lost if it cannot be delivered). */
  lines: number;
  bytes: number;
  /** The counts the report lines carry; subtracted once the batch is delivered. */
  reportedDropped: number;
  reportedLost: number;
}

export interface QueueOptions {
  /** Most lines held while waiting for delivery; when full the oldest is dropped and counted. */
  capacity: number;
  maxBatchLines: number;
  maxBatchBytes: number;
  now?: () => Date;
}

/**
 * Lines wait here until a batch takes them. Loss is data: a line pushed out of a full buffer
 * counts towards L12, a batch given up on counts towards L13, and the next batch starts with
 * the report lines. The counters are only reduced by what a delivered batch reported, so a
 * report that is itself lost is sent again, with the newer numbers, in the following batch.
 */
export class ShipQueue {
  private readonly ring: Ring<string>;
  private readonly now: () => Date;
  readonly losses: LossCounters = { dropped: 0, lost: 0 };
  /** Totals since start, for the process's own summary. */
  totalDropped = 0;
  totalLost = 0;

  constructor(private readonly opts: QueueOptions) {
    this.ring = new Ring<string>(Math.max(1, opts.capacity));
    this.now = opts.now ?? (() => new Date());
  }

  get length(): number {
    return this.ring.length;
  }

  get hasReport(): boolean {
    return this.losses.dropped > 0 || this.losses.lost > 0;
  }

  push(message: string): void {
    if (this.ring.push(message)) this.drop(1);
  }

  /** Seeds the counters with losses carried over from an earlier run. */
  carryOver(c: LossCounters): void {
    if (c.dropped > 0) {
      this.losses.dropped += c.dropped;
      this.losses.droppedSince = earliest(this.losses.droppedSince, c.droppedSince);
    }
    if (c.lost > 0) {
      this.losses.lost += c.lost;
      this.losses.lostSince = earliest(this.losses.lostSince, c.lostSince);
    }
  }

  /**
   * The next batch, or undefined when there is nothing to send. A batch holding only report
   * lines is made only when `reportOnly` allows it (on close): otherwise a report waits for the
   * next line, so an unreachable Sluice is not retried in a loop for the report alone.
   */
  next(reportOnly = false): Batch | undefined {
    if (this.ring.length === 0 && !(reportOnly && this.hasReport)) return undefined;
    const messages: string[] = [];
    let bytes = 0;
    const time = microTime(this.now());
    const { dropped, lost } = this.losses;
    if (dropped > 0) messages.push(encodeMessage(PRI_REPORT, time, 'log-shuttle', l12Text(dropped, this.losses.droppedSince ?? this.now())));
    if (lost > 0) messages.push(encodeMessage(PRI_REPORT, time, 'log-shuttle', l13Text(lost, this.losses.lostSince ?? this.now())));
    for (const m of messages) bytes += frameBytes(m);
    let lines = 0;
    for (;;) {
      const m = this.ring.peek();
      if (m === undefined || lines >= this.opts.maxBatchLines) break;
      const b = frameBytes(m);
      if (lines > 0 && bytes + b > this.opts.maxBatchBytes) break;
      this.ring.shift();
      messages.push(m);
      bytes += b;
      lines++;
    }
    return { frameId: randomBytes(16).toString('hex').toUpperCase(), messages, lines, bytes, reportedDropped: dropped, reportedLost: lost };
  }

  /** The batch reached Sluice: what it reported is reported. */
  delivered(batch: Batch): void {
    this.losses.dropped -= batch.reportedDropped;
    if (this.losses.dropped === 0) this.losses.droppedSince = undefined;
    this.losses.lost -= batch.reportedLost;
    if (this.losses.lost === 0) this.losses.lostSince = undefined;
  }

  /** The batch was given up on: its lines are lost (its report lines are not: they are resent). */
  failed(batch: Batch): void {
    this.lose(batch.lines);
  }

  /** Everything still queued is lost (closing with Sluice unreachable). */
  abandon(): number {
    const n = this.ring.length;
    this.ring.clear();
    this.lose(n);
    return n;
  }

  private drop(n: number): void {
    if (this.losses.dropped === 0) this.losses.droppedSince = this.now();
    this.losses.dropped += n;
    this.totalDropped += n;
  }

  private lose(n: number): void {
    if (n === 0) return;
    if (this.losses.lost === 0) this.losses.lostSince = this.now();
    this.losses.lost += n;
    this.totalLost += n;
  }
}

/** Bytes of `<LEN> <MSG>` for one message. */
function frameBytes(m: string): number {
  const len = Buffer.byteLength(m);
  return len + String(len).length + 1;
}

function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() <= b.getTime() ? a : b;
}
