// A set of keys that each live for a fixed time, bounded in bytes: de-duplication of retried batches.

/** Rough V8 cost of one entry besides its key's characters: the Map slot, the number, the string header. */
export const ENTRY_OVERHEAD_BYTES = 64;

/** Estimated bytes one key costs in the set (two bytes a character covers any string V8 holds). */
export function entryBytes(key: string): number {
  return ENTRY_OVERHEAD_BYTES + 2 * key.length;
}

/**
 * Insertion order is arrival order (a re-added key moves to the end), so expiry walks from the
 * front and stops at the first live key. Past `maxEntries` keys or `maxBytes` (an estimate:
 * `entryBytes` per key) the oldest keys are forgotten rather than memory growing: a flood of
 * unique keys, however long, costs a bounded amount.
 */
export class ExpiringSet {
  private seen = new Map<string, number>();
  #bytes = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly maxBytes = Infinity,
  ) {}

  has(key: string, now = Date.now()): boolean {
    this.expire(now);
    const t = this.seen.get(key);
    return t !== undefined && now - t < this.ttlMs;
  }

  add(key: string, now = Date.now()): void {
    if (this.seen.delete(key)) this.#bytes -= entryBytes(key);
    this.seen.set(key, now);
    this.#bytes += entryBytes(key);
    while ((this.#bytes > this.maxBytes || this.seen.size > this.maxEntries) && this.evictOldest()) {
      /* until within budget */
    }
  }

  /** Forgets the oldest key; false when empty. */
  evictOldest(): boolean {
    const oldest = this.seen.keys().next();
    if (oldest.done) return false;
    this.seen.delete(oldest.value);
    this.#bytes -= entryBytes(oldest.value);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Estimated bytes held (keys and per-entry overhead). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Drops expired keys; returns the estimated bytes still held. */
  expire(now = Date.now()): number {
    for (const [k, t] of this.seen) {
      if (now - t < this.ttlMs) break;
      this.seen.delete(k);
      this.#bytes -= entryBytes(k);
    }
    return this.#bytes;
  }
}
