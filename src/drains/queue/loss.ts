// Losses not yet told to the receiver: the count and time that the next L10 line carries.

/** A loss not yet reported. */
export interface Loss {
  count: number;
  since: Date;
}

/**
 * Pending loss: every dropped line adds to it; the sender takes it into an L10 frame and gives it
 * back (`restore`) if that delivery fails, so a count is never reported twice nor forgotten.
 */
export class LossReport {
  private pending = 0;
  private since: Date | undefined;

  add(n: number, at: Date = new Date()): void {
    if (n <= 0) return;
    if (this.pending === 0 || this.since === undefined || at < this.since) this.since = at;
    this.pending += n;
  }

  restore(loss: Loss | undefined): void {
    if (loss) this.add(loss.count, loss.since);
  }

  get count(): number {
    return this.pending;
  }

  take(): Loss | undefined {
    if (this.pending === 0 || this.since === undefined) return undefined;
    const loss = { count: this.pending, since: this.since };
    this.pending = 0;
    this.since = undefined;
    return loss;
  }

  peek(): Loss | undefined {
    return this.pending > 0 && this.since ? { count: this.pending, since: this.since } : undefined;
  }
}
