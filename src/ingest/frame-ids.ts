// Remembers `Logplex-Frame-Id`s per token for 10 minutes so that a retried batch is stored once.

const TTL_MS = 10 * 60_000;

export class FrameIdCache {
  // Insertion order is arrival order, so the oldest entries are first: expiry walks from the front.
  private seen = new Map<string, number>();

  constructor(private readonly maxEntries = 200_000) {}

  has(tokenId: string, frameId: string, now = Date.now()): boolean {
    this.expire(now);
    const t = this.seen.get(`${tokenId} ${frameId}`);
    return t !== undefined && now - t < TTL_MS;
  }

  add(tokenId: string, frameId: string, now = Date.now()): void {
    const key = `${tokenId} ${frameId}`;
    this.seen.delete(key);
    this.seen.set(key, now);
    // Bounded: a flood of unique ids forgets the oldest rather than growing without limit.
    if (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private expire(now: number): void {
    for (const [k, t] of this.seen) {
      if (now - t < TTL_MS) break;
      this.seen.delete(k);
    }
  }
}
