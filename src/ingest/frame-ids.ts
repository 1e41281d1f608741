// Remembers `Logplex-Frame-Id`s per token for 10 minutes so that a retried batch is stored once.
import { ExpiringSet } from '../core/expiring-set.js';

const TTL_MS = 10 * 60_000;

export class FrameIdCache {
  private readonly seen: ExpiringSet;

  constructor(maxEntries = 200_000) {
    this.seen = new ExpiringSet(TTL_MS, maxEntries);
  }

  has(tokenId: string, frameId: string, now = Date.now()): boolean {
    return this.seen.has(`${tokenId} ${frameId}`, now);
  }

  add(tokenId: string, frameId: string, now = Date.now()): void {
    this.seen.add(`${tokenId} ${frameId}`, now);
  }
}
