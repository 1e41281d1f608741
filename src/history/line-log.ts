// One app's newest lines, cooked, as bytes off the V8 heap: length-prefixed records in chunks,
// in the very layout a history row stores.
import type { LogLine } from '../core/log-line.js';
import { cookedWireBound, writeCookedWire } from '../wire/cooked.js';
import type { Utf8Target } from '../wire/frame-writer.js';

/**
 * A record is a 4-byte little-endian length and that many bytes of cooked RFC 5424 text
 * (UTF-8). A history row's `lines` is a BLOB of whole records, oldest first; rows written before
 * this layout hold a JSON array of the same texts, and are still read.
 */
export const RECORD_HEAD = 4;
/** A chunk's first size; each next one doubles, up to MAX_CHUNK (a record larger gets its own). */
const MIN_CHUNK = 256;
const MAX_CHUNK = 64 << 10;

interface Chunk {
  buf: Utf8Target;
  used: number;
  /** Records in it. */
  n: number;
  /** Bytes, and records, already handed out by `take` (what follows is new). */
  taken: number;
  takenN: number;
}

/**
 * Text here is in buffers V8 never scans or moves: with thousands of apps keeping every line,
 * cooked lines held as strings were copied by each young-generation collection until promoted
 * (a quarter of the routing thread), and crossed to the writer as a structured clone. Records
 * are copied out once per flush, into the buffer that is transferred to the writer.
 *
 * Holds the newest `capacity` lines, and some older ones: a chunk is let go only once the newer
 * chunks hold `capacity` lines without it, so reads skip the surplus (less than a chunk).
 */
export class LineLog {
  private chunks: Chunk[] = [];
  /** Records held, surplus included. */
  private held = 0;
  /** Bytes allocated for chunks. */
  bytes = 0;
  /** Records appended and not yet taken, and their bytes. */
  pendingLines = 0;
  pendingBytes = 0;

  constructor(
    readonly capacity: number,
    private readonly pool: ChunkPool = sharedPool,
  ) {}

  /** Lines a read can return: the newest `capacity`. */
  get length(): number {
    return Math.min(this.held, this.capacity);
  }

  /** Appends a line's cooked text (formatRfc5424); returns the change in `bytes`. */
  append(text: string): number {
    const before = this.bytes;
    // 3 bytes per UTF-16 unit bound the UTF-8; where that bound does not fit, the exact size is
    // worth its byteLength: a new chunk sized for 3× the text held a third of what it could.
    let need = RECORD_HEAD + 3 * text.length;
    const tail = this.chunks[this.chunks.length - 1];
    if (tail === undefined || tail.buf.length - tail.used < need) need = RECORD_HEAD + Buffer.byteLength(text, 'utf8');
    const c = this.room(need);
    this.commit(c, c.buf.utf8Write(text, c.used + RECORD_HEAD));
    return this.bytes - before;
  }

  /** Appends a line copied from the frame it came in (`sourceEnd`: cookedWireEnd's answer); returns the change in `bytes`. */
  appendWire(line: LogLine, frame: Uint8Array, sourceEnd: number): number {
    const before = this.bytes;
    const c = this.room(RECORD_HEAD + cookedWireBound(line, frame, sourceEnd));
    this.commit(c, writeCookedWire(line, frame, sourceEnd, c.buf, c.used + RECORD_HEAD));
    return this.bytes - before;
  }

  /**
   * Appends what a history row holds (records, or the JSON array of texts of older rows), as
   * already taken: it is on disk. Returns the change in `bytes`; a garbled tail is left out.
   */
  load(stored: Uint8Array | string): number {
    const before = this.bytes;
    if (typeof stored === 'string') {
      for (const text of JSON.parse(stored) as string[]) this.append(text);
    } else {
      const view = Buffer.from(stored.buffer, stored.byteOffset, stored.length);
      for (let at = 0; at + RECORD_HEAD <= view.length; ) {
        const len = view.readUInt32LE(at);
        if (at + RECORD_HEAD + len > view.length) break;
        const c = this.room(RECORD_HEAD + len);
        view.copy(c.buf, c.used + RECORD_HEAD, at + RECORD_HEAD, at + RECORD_HEAD + len);
        this.commit(c, len);
        at += RECORD_HEAD + len;
      }
    }
    for (const c of this.chunks) {
      c.taken = c.used;
      c.takenN = c.n;
    }
    this.pendingBytes = 0;
    this.pendingLines = 0;
    return this.bytes - before;
  }

  /**
   * Copies the records appended since the last take to `out[at]`, oldest first (pendingBytes
   * of them), and marks them taken. Returns how many.
   */
  take(out: Uint8Array, at: number): number {
    let i = this.chunks.length;
    while (i > 0 && this.chunks[i - 1].taken < this.chunks[i - 1].used) i--;
    let n = 0;
    for (; i < this.chunks.length; i++) {
      const c = this.chunks[i];
      out.set(new Uint8Array(c.buf.buffer, c.buf.byteOffset + c.taken, c.used - c.taken), at);
      at += c.used - c.taken;
      n += c.n - c.takenN;
      c.taken = c.used;
      c.takenN = c.n;
    }
    this.pendingBytes = 0;
    this.pendingLines = 0;
    return n;
  }

  /** The newest `n` lines' texts (n ≤ capacity), oldest first. */
  last(n = this.capacity): string[] {
    const want = Math.max(0, Math.min(n, this.length));
    let skip = this.held - want;
    const out: string[] = [];
    for (const c of this.chunks) {
      if (skip >= c.n) {
        skip -= c.n;
        continue;
      }
      for (let at = 0; at < c.used; ) {
        const len = c.buf.readUInt32LE(at);
        if (skip > 0) skip--;
        else out.push(c.buf.toString('utf8', at + RECORD_HEAD, at + RECORD_HEAD + len));
        at += RECORD_HEAD + len;
      }
    }
    return out;
  }

  /** The chunk the next record of at most `need` bytes goes to, with that room free. */
  private room(need: number): Chunk {
    const tail = this.chunks[this.chunks.length - 1];
    if (tail !== undefined && tail.buf.length - tail.used >= need) return tail;
    let size = tail === undefined ? MIN_CHUNK : Math.min(MAX_CHUNK, tail.buf.length * 2);
    while (size < need && size < MAX_CHUNK) size *= 2;
    const c: Chunk = { buf: this.pool.get(Math.max(size, need)), used: 0, n: 0, taken: 0, takenN: 0 };
    this.chunks.push(c);
    this.bytes += c.buf.length;
    return c;
  }

  /** Gives every chunk back to the pool: the app is forgotten (evicted or dropped); the log is empty after. */
  release(): void {
    for (const c of this.chunks) this.pool.put(c.buf);
    this.chunks = [];
    this.held = 0;
    this.bytes = 0;
    this.pendingLines = 0;
    this.pendingBytes = 0;
  }

  /** Seals the record of `len` bytes just written after its head in `c`, then lets go of chunks past the capacity. */
  private commit(c: Chunk, len: number): void {
    c.buf.writeUInt32LE(len, c.used);
    c.used += RECORD_HEAD + len;
    c.n++;
    this.held++;
    this.pendingLines++;
    this.pendingBytes += RECORD_HEAD + len;
    const chunks = this.chunks;
    while (chunks.length > 1 && this.held - chunks[0].n >= this.capacity) {
      const old = chunks.shift()!;
      this.pool.put(old.buf);
      this.held -= old.n;
      this.bytes -= old.buf.length;
      this.pendingLines -= old.n - old.takenN;
      this.pendingBytes -= old.used - old.taken;
    }
  }
}

/**
 * Chunks let go of, kept for the next ones of their size (the powers of two from MIN_CHUNK to
 * MAX_CHUNK) up to POOL_BYTES in all. With 10,000 apps filling and being evicted, a fresh buffer
 * per chunk was a malloc, pages faulted in on first write, and external memory that made V8 run
 * full collections. (Evictions free ~25 MB at a time there, so the pool refuses some: 32 MiB
 * made no difference there that the noise did not hide, and cost the 1,000-drains-down run RSS.)
 */
export class ChunkPool {
  private free = new Map<number, Buffer[]>();
  private bytes = 0;

  constructor(private readonly maxBytes = POOL_BYTES) {}

  get(size: number): Utf8Target {
    const list = this.free.get(size);
    const b = list?.pop();
    if (b !== undefined) {
      this.bytes -= size;
      return b as Utf8Target;
    }
    // An app's first chunk is a slice of Node's shared 8 KiB pool: most apps log a line or two
    // (an audit line when made), and a buffer of their own cost ~1 KiB each in bookkeeping. Larger
    // chunks get buffers of their own, so a long-lived one never keeps a whole pool alive. The
    // bytes are written before they are ever read.
    return (size <= MIN_CHUNK ? Buffer.allocUnsafe(size) : Buffer.allocUnsafeSlow(size)) as Utf8Target;
  }

  put(buf: Buffer): void {
    const size = buf.length;
    if (size > MAX_CHUNK || (size & (size - 1)) !== 0 || this.bytes + size > this.maxBytes) return; // to the GC
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(buf);
    this.bytes += size;
  }
}

const POOL_BYTES = 16 << 20;
const sharedPool = new ChunkPool();

/** The texts of a stored row (records, or a JSON array), oldest first: tests and tools. */
export function storedTexts(stored: Uint8Array | string): string[] {
  const log = new LineLog(Number.MAX_SAFE_INTEGER);
  log.load(stored);
  const texts = log.last(Number.MAX_SAFE_INTEGER);
  log.release();
  return texts;
}
