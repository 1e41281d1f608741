// Remembers `Logplex-Frame-Id`s per token for 10 minutes so that a retried batch is stored once, in bounded bytes.
import { ExpiringSet } from '../core/expiring-set.js';

const TTL_MS = 10 * 60_000;
/** Longest Frame-Id accepted (Logplex's are 32 hex digits; UUIDs are 36 characters). */
export const MAX_FRAME_ID_LENGTH = 128;
const PER_SET_OVERHEAD_BYTES = 256;

export interface FrameIdOptions {
  /** Estimated bytes all tokens' ids may take together; default 16 MiB. */
  maxBytes?: number;
  /** Estimated bytes one token's ids may take; default a sixteenth of maxBytes (1 MiB: ~5,000 ids of 128 characters). */
  maxBytesPerToken?: number;
}

/**
 * One expiring set per token, each under its own quota: a token that sends a flood of unique ids
 * forgets only its own oldest ids, never another token's. When all tokens together pass the
 * overall budget, the token holding the most gives up its oldest id, so the memory stays bounded
 * however many tokens send, and a token using little keeps its retries de-duplicated.
 */
export class FrameIdCache {
  readonly #sets = new Map<string, ExpiringSet>();
  readonly #maxBytes: number;
  readonly #perToken: number;
  #bytes = 0;

  constructor(opts: FrameIdOptions = {}) {
    this.#maxBytes = opts.maxBytes ?? 16 << 20;
    this.#perToken = Math.min(this.#maxBytes, opts.maxBytesPerToken ?? Math.max(64 << 10, Math.floor(this.#maxBytes / 16)));
  }

  has(tokenId: string, frameId: string, now = Date.now()): boolean {
    const set = this.#sets.get(tokenId);
    if (set === undefined) return false;
    const before = set.bytes;
    const seen = set.has(frameId, now); // expires that token's old ids on the way
    this.#bytes -= before - set.bytes;
    return seen;
  }

  add(tokenId: string, frameId: string, now = Date.now()): void {
    let set = this.#sets.get(tokenId);
    if (set === undefined) {
      this.#sweep(now);
      this.#sets.set(tokenId, (set = new ExpiringSet(TTL_MS, Infinity, this.#perToken)));
      this.#bytes += PER_SET_OVERHEAD_BYTES;
    }
    const before = set.expire(now);
    set.add(frameId, now);
    this.#bytes += set.bytes - before;
    while (this.#bytes > this.#maxBytes && this.#shrinkLargest()) {
      /* until within budget */
    }
  }

  /** Estimated bytes held by all tokens' ids. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Ids remembered for all tokens. */
  get size(): number {
    let n = 0;
    for (const set of this.#sets.values()) n += set.size;
    return n;
  }

  /** Expires every token's ids and forgets tokens with none left (run when a new token appears). */
  #sweep(now: number): void {
    for (const [tokenId, set] of this.#sets) {
      const before = set.bytes;
      this.#bytes -= before - set.expire(now);
      if (set.size === 0) {
        this.#sets.delete(tokenId);
        this.#bytes -= PER_SET_OVERHEAD_BYTES;
      }
    }
  }

  #shrinkLargest(): boolean {
    let largest: ExpiringSet | undefined;
    for (const set of this.#sets.values()) if (largest === undefined || set.bytes > largest.bytes) largest = set;
    if (largest === undefined) return false;
    const before = largest.bytes;
    if (!largest.evictOldest()) return false;
    this.#bytes -= before - largest.bytes;
    return true;
  }
}
