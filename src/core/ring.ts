// A fixed-capacity FIFO that overwrites its oldest entry when full; no Array.shift on the hot path.

export class Ring<T> {
  private buf: (T | undefined)[];
  private head = 0; // index of the oldest entry
  private size = 0;
  /** Entries ever pushed: the absolute index the next push gets (see `mapRange`). */
  private pushed = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('ring capacity must be positive');
    // Grow lazily: an idle app or drain should not pay for a full buffer it never fills.
    this.buf = [];
  }

  get length(): number {
    return this.size;
  }

  /** Appends; returns true when the oldest entry was displaced to make room. */
  push(item: T): boolean {
    this.pushed++;
    if (this.size < this.capacity) {
      const idx = (this.head + this.size) % this.capacity;
      this.buf[idx] = item;
      this.size++;
      return false;
    }
    this.buf[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    return true;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    if (this.size === 0) this.head = 0;
    return item;
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.buf[this.head];
  }

  /** The newest `n` entries (all when omitted), oldest first. */
  last(n = this.size): T[] {
    const k = Math.max(0, Math.min(n, this.size));
    const out = new Array<T>(k);
    const start = this.head + this.size - k;
    for (let i = 0; i < k; i++) out[i] = this.buf[(start + i) % this.capacity] as T;
    return out;
  }

  /** Entries ever pushed; entry `total - 1` is the newest, `total - length` the oldest still held. */
  get total(): number {
    return this.pushed;
  }

  /**
   * Replaces the entries numbered `from` (inclusive) to `to` (exclusive) by `f(entry)`, in
   * place, skipping those no longer held, and returns the new values oldest first. Numbers are
   * absolute (see `total`), so an owner can keep a cheap form on the hot path and convert it
   * later, in bulk and in several slices, while pushes go on in between.
   */
  mapRange(from: number, to: number, f: (item: T) => T): T[] {
    const first = Math.max(from, this.pushed - this.size);
    const end = Math.min(to, this.pushed);
    if (end <= first) return [];
    const k = end - first;
    const out = new Array<T>(k);
    const start = this.head + this.size - (this.pushed - first);
    for (let i = 0; i < k; i++) {
      const idx = (start + i) % this.capacity;
      out[i] = this.buf[idx] = f(this.buf[idx] as T);
    }
    return out;
  }

  clear(): void {
    this.buf = [];
    this.head = 0;
    this.size = 0;
  }
}
