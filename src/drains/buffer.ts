// A drain's bounded buffer: newest lines win, and every displaced or undeliverable line is counted
// so that the next delivery can say how many were lost and since when (L10, SPEC §4.4 and §8).
import { Ring } from '../core/ring.js';
import type { LogLine } from '../core/log-line.js';

/** A loss not yet told to the receiver. */
export interface Loss {
  count: number;
  since: Date;
}

export class DrainBuffer {
  private readonly ring: Ring<LogLine>;
  private pending = 0;
  private pendingSince: Date | undefined;
  /** Every line ever lost by this drain (displaced, refused by the receiver, out of retries). */
  dropped = 0;

  constructor(readonly capacity: number) {
    this.ring = new Ring(capacity);
  }

  get length(): number {
    return this.ring.length;
  }

  /** The hot path: O(1), no allocation unless this is the first loss since the last report. */
  push(line: LogLine): void {
    if (this.ring.push(line)) this.drop(1);
  }

  peek(): LogLine | undefined {
    return this.ring.peek();
  }

  shift(): LogLine | undefined {
    return this.ring.shift();
  }

  /** New loss: `n` lines that will never be delivered. */
  drop(n: number, at?: Date): void {
    if (n <= 0) return;
    this.dropped += n;
    // Only the first loss since the last report needs its time: no Date (and no Date
    // comparison) per displaced line while a report is already pending.
    if (at === undefined && this.pending > 0) this.pending += n;
    else this.note(n, at ?? new Date());
  }

  /** A loss report that was taken but could not be delivered goes back, without counting twice. */
  restore(loss: Loss | undefined): void {
    if (loss) this.note(loss.count, loss.since);
  }

  /** True when a loss report is waiting to be sent. */
  get hasLoss(): boolean {
    return this.pending > 0;
  }

  /** Takes the pending loss report (the caller sends it as L10, or `restore`s it). */
  takeLoss(): Loss | undefined {
    if (this.pending === 0 || !this.pendingSince) return undefined;
    const loss = { count: this.pending, since: this.pendingSince };
    this.pending = 0;
    this.pendingSince = undefined;
    return loss;
  }

  /** Forgets the lines (counted as dropped); used when a drain is destroyed with lines left. */
  discard(): number {
    const n = this.ring.length;
    this.ring.clear();
    this.drop(n);
    return n;
  }

  private note(n: number, at: Date): void {
    if (this.pending === 0 || !this.pendingSince || at < this.pendingSince) this.pendingSince = at;
    this.pending += n;
  }
}
