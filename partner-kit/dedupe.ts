// Remembers which batches were already taken, by `Logplex-Frame-Id`, so a retried batch counts once.

/**
 * A bounded set of (drain token, frame id) pairs with a time to live. Sluice retries a batch with
 * the same `Logplex-Frame-Id` when it did not see your 2xx (a timeout, a dropped connection), so
 * the same lines can arrive twice; remembering ids for 10 minutes covers every retry schedule.
 * Bounded: past `maxEntries` the oldest ids are forgotten rather than memory growing.
 */
export class FrameIdSet {
  private seen = new Map<string, number>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 100_000,
  ) {}

  has(drainToken: string, frameId: string, now = Date.now()): boolean {
    this.expire(now);
    return this.seen.has(`${drainToken} ${frameId}`);
  }

  add(drainToken: string, frameId: string, now = Date.now()): void {
    const key = `${drainToken} ${frameId}`;
    this.seen.delete(key);
    this.seen.set(key, now);
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    // Insertion order is arrival order: the oldest entries come first.
    for (const [k, t] of this.seen) {
      if (now - t < this.ttlMs) break;
      this.seen.delete(k);
    }
  }
}
