// Reused memory for buffers of 4 KiB and up that are filled, used and let go at a high rate (request bodies, drain blocks).

/**
 * Why a pool: buffers this size come from glibc's heap, which gives the free top of it back to
 * the kernel (trim above 128 KiB) and faults it in again for the next one, so every fresh
 * request body or drain block paid page faults on top of its copy, and its external memory
 * pressed V8 into extra collections. In the POST /logs → syslog drain bench, turning glibc's
 * trimming off (MALLOC_TRIM_THRESHOLD_) cut Sluice's CPU per line by about a fifth; this pool
 * does the same for the buffers Sluice itself churns. Sizes go in powers of two; at most
 * `maxFreeBytes` wait in the pool, and a buffer larger than `maxBytes` is never pooled.
 */
export class BufferPool {
  /** Free buffers by size (a power of two), each the whole of its ArrayBuffer. */
  private readonly free = new Map<number, Buffer[]>();
  private freeTotal = 0;
  /** ArrayBuffers handed out and not yet returned: release() takes back only these. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  constructor(
    readonly maxBytes: number,
    readonly maxFreeBytes: number,
    private readonly minBytes = 4096,
  ) {}

  /** Whether a buffer of `size` bytes would come from the pool. */
  fits(size: number): boolean {
    return size > 0 && size <= this.maxBytes;
  }

  /** A buffer of at least `size` bytes (the next power of two, `minBytes` at least); `size` must fit. */
  get(size: number): Buffer {
    let cap = this.minBytes;
    while (cap < size) cap *= 2;
    const buf = this.free.get(cap)?.pop();
    if (buf !== undefined) {
      this.freeTotal -= cap;
      this.lent.add(buf.buffer);
      return buf;
    }
    const fresh = Buffer.allocUnsafeSlow(cap); // its own ArrayBuffer, never a slice of Node's shared pool
    this.lent.add(fresh.buffer);
    return fresh;
  }

  /**
   * Gives back a buffer from `get` (or any view of one) once nothing refers to its bytes any
   * more; any other buffer is ignored, as is one the pool has no room for. Returns whether the
   * buffer was one the pool lent.
   */
  release(view: Uint8Array): boolean {
    const ab = view.buffer;
    if (!this.lent.has(ab)) return false;
    this.lent.delete(ab);
    const cap = ab.byteLength;
    if (this.freeTotal + cap > this.maxFreeBytes) return true;
    let list = this.free.get(cap);
    if (list === undefined) this.free.set(cap, (list = []));
    list.push(Buffer.from(ab as ArrayBuffer, 0, cap));
    this.freeTotal += cap;
    return true;
  }

  /** Bytes waiting in the pool. */
  get freeBytes(): number {
    return this.freeTotal;
  }
}
