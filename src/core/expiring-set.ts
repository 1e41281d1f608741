// A bounded set of keys that each live for a fixed time: de-duplication of retried batches.

/**
 * Insertion order is arrival order (a re-added key moves to the end), so expiry walks from the
 * front and stops at the first live key. Past `maxEntries` the oldest keys are forgotten rather
 * than memory growing: a flood of unique keys costs a bounded amount.
 */
export class ExpiringSet {
  private seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  has(key: string, now = Date.now()): boolean {
    this.expire(now);
    const t = this.seen.get(key);
    return t !== undefined && now - t < this.ttlMs;
  }

  add(key: string, now = Date.now()): void {
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
    for (const [k, t] of this.seen) {
      if (now - t < this.ttlMs) break;
      this.seen.delete(k);
    }
  }
}
