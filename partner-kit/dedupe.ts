// Remembers which batches were already taken, by `Logplex-Frame-Id`, so a retried batch counts once.
import { ExpiringSet } from '../src/core/expiring-set.js';

/**
 * A bounded set of (drain token, frame id) pairs with a time to live. Sluice retries a batch with
 * the same `Logplex-Frame-Id` when it did not see your 2xx (a timeout, a dropped connection), so
 * the same lines can arrive twice; remembering ids for 10 minutes covers every retry schedule.
 * Bounded: past `maxEntries` the oldest ids are forgotten rather than memory growing.
 */
export class FrameIdSet {
  private readonly seen: ExpiringSet;

  constructor(ttlMs = 10 * 60_000, maxEntries = 100_000) {
    this.seen = new ExpiringSet(ttlMs, maxEntries);
  }

  has(drainToken: string, frameId: string, now = Date.now()): boolean {
    return this.seen.has(`${drainToken} ${frameId}`, now);
  }

  add(drainToken: string, frameId: string, now = Date.now()): void {
    this.seen.add(`${drainToken} ${frameId}`, now);
  }

  get size(): number {
    return this.seen.size;
  }
}
