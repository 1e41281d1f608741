// One drain's spool directory: append-only segment files of records (record.ts), read back in
// order, deleted once every record in them is done. Writes are synchronous (a few hundred µs
// for a block, into the page cache) so the queue's order never depends on I/O completion;
// reads for delivery and fdatasync are asynchronous.
import { closeSync, fdatasync, ftruncateSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { read } from 'node:fs';
import path from 'node:path';
import type { SpoolBudget } from './budget.js';
import { isDone, type DoneSet } from './done-set.js';
import { decodeHeader, encodeHeader, findMagic, HEADER_BYTES, packPayload, payloadCrc, unpackPayload, type RecordHeader } from './record.js';

export interface Segment {
  /** File name, `<first line, 16 digits>.seg`: sorts in write order. */
  name: string;
  fd: number;
  size: number;
  /** Records in it that are not done yet. */
  live: number;
  /** Written since the last fdatasync. */
  dirty?: boolean;
}

/** Where a block lives on disk. */
export interface DiskLoc {
  seg: Segment;
  pos: number;
  payloadBytes: number;
  crc: number;
  /** 0: stored as is; else the length of the frames the payload inflates to. */
  rawBytes: number;
}

export interface ScannedRecord {
  header: RecordHeader;
  loc: DiskLoc;
}

export interface ScanResult {
  records: ScannedRecord[];
  /** Bytes that were not a readable record (garbage, torn headers). */
  skippedBytes: number;
  /** Lines of records whose header was readable but whose payload was cut short. */
  tornLines: Array<[number, number]>;
  /** Each segment with the first line its name promises (where its first record starts). */
  segments: Array<{ seg: Segment; first: number }>;
}

const FLUSHED = Promise.resolve();

export class Spool {
  private segments: Segment[] = [];
  /** End line of the last record written (or found by the scan): the next record's `prevEnd`. */
  private lastEnd = 0;
  private active: Segment | undefined;
  /** Some segment was written since the last flush. */
  private anyDirty = false;

  constructor(
    readonly dir: string,
    private readonly budget: SpoolBudget,
    /** Bytes after which a segment is closed and the next write starts a new one. */
    private readonly segmentBytes: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Whether `bytes` more fit the shared budget (and the disk), without reserving them. */
  fits(bytes: number): boolean {
    return this.budget.fits(bytes);
  }

  /** Bytes of this drain's segment files. */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /**
   * Reads every segment's headers (payloads are checked when they are read for delivery).
   * Never throws on content: what cannot be read is skipped and reported.
   */
  scan(): ScanResult {
    const out: ScanResult = { records: [], skippedBytes: 0, tornLines: [], segments: [] };
    const names = readdirSync(this.dir).filter((n) => n.endsWith('.seg')).sort();
    const hdr = Buffer.alloc(HEADER_BYTES);
    for (const name of names) {
      const fd = openSync(path.join(this.dir, name), 'r+');
      const size = fstatSync(fd).size;
      const seg: Segment = { name, fd, size, live: 0 };
      this.segments.push(seg);
      this.budget.used += size;
      out.segments.push({ seg, first: Number.parseInt(name, 10) || 0 });
      let pos = 0;
      while (pos < size) {
        const h = size - pos >= HEADER_BYTES && readSync(fd, hdr, 0, HEADER_BYTES, pos) === HEADER_BYTES ? decodeHeader(hdr) : undefined;
        if (h === undefined) {
          const next = this.resync(fd, pos + 1, size);
          out.skippedBytes += next - pos;
          pos = next;
          continue;
        }
        const end = pos + HEADER_BYTES + h.payloadBytes;
        if (end > size) {
          // A torn tail: the header says which lines were lost.
          out.tornLines.push([h.first, h.first + h.lines]);
          out.skippedBytes += size - pos;
          break;
        }
        out.records.push({ header: h, loc: { seg, pos, payloadBytes: h.payloadBytes, crc: h.payloadCrc, rawBytes: h.rawBytes } });
        this.lastEnd = Math.max(this.lastEnd, h.first + h.lines);
        pos = end;
      }
    }
    return out;
  }

  /** The next offset after `from` where a readable header starts, else `size`. */
  private resync(fd: number, from: number, size: number): number {
    const chunk = Buffer.alloc(1 << 20);
    for (let at = from; at < size; ) {
      const n = readSync(fd, chunk, 0, chunk.length, at);
      if (n <= 0) break;
      const view = chunk.subarray(0, n);
      for (let i = findMagic(view, 0); i >= 0; i = findMagic(view, i + 1)) {
        const h = Buffer.alloc(HEADER_BYTES);
        if (readSync(fd, h, 0, HEADER_BYTES, at + i) === HEADER_BYTES && decodeHeader(h)) return at + i;
      }
      if (n < chunk.length) break;
      at += n - 3; // a magic split across chunks is found in the next one
    }
    return size;
  }

  /** After the queue took what it needs from a scan: counts live records, deletes finished files. */
  adopt(records: ScannedRecord[], done: DoneSet): void {
    for (const r of records) if (!isDone(done, r.header.first, r.header.first + r.header.lines)) r.loc.seg.live++;
    for (const s of [...this.segments]) if (s.live === 0) this.remove(s);
  }

  /**
   * Appends a record; returns where, or undefined when the budget or the disk says no (the
   * caller keeps or drops the block). A partial write is cut off again so the file stays whole.
   */
  append(h: Omit<RecordHeader, 'payloadBytes' | 'payloadCrc' | 'prevEnd' | 'rawBytes'>, frames: Buffer, rollAt = this.segmentBytes): DiskLoc | undefined {
    const { data: payload, rawBytes } = packPayload(frames);
    const total = HEADER_BYTES + payload.length;
    if (!this.budget.reserve(total)) return undefined;
    const crc = payloadCrc(payload);
    const header = encodeHeader({ ...h, prevEnd: this.lastEnd, payloadBytes: payload.length, payloadCrc: crc, rawBytes });
    let seg: Segment;
    try {
      seg = this.activeFor(h.first, rollAt);
    } catch {
      this.budget.release(total);
      return undefined;
    }
    const pos = seg.size;
    try {
      writeFully(seg.fd, header, pos);
      writeFully(seg.fd, payload, pos + HEADER_BYTES);
    } catch {
      try {
        ftruncateSync(seg.fd, pos);
      } catch {
        // Nothing more to do: the scan on the next start skips a torn tail.
      }
      this.budget.release(total);
      return undefined;
    }
    seg.size += total;
    seg.live++;
    this.lastEnd = h.first + h.lines;
    seg.dirty = true;
    this.anyDirty = true;
    return { seg, pos, payloadBytes: payload.length, crc, rawBytes };
  }

  private activeFor(first: number, rollAt: number): Segment {
    if (this.active && this.active.size < rollAt) return this.active;
    const name = `${String(first).padStart(16, '0')}.seg`;
    const fd = openSync(path.join(this.dir, name), 'a+');
    const seg: Segment = { name, fd, size: fstatSync(fd).size, live: 0 };
    this.segments.push(seg);
    this.active = seg;
    return seg;
  }

  /** The frames, or undefined when the checksum fails or they do not inflate (the caller skips and counts it). */
  async read(loc: DiskLoc): Promise<Buffer | undefined> {
    const b = Buffer.allocUnsafe(loc.payloadBytes);
    const n = await new Promise<number>((resolve) =>
      read(loc.seg.fd, b, 0, b.length, loc.pos + HEADER_BYTES, (err, bytes) => resolve(err ? -1 : bytes)),
    );
    if (n !== b.length || payloadCrc(b) !== loc.crc) return undefined;
    return unpackPayload(b, loc.rawBytes);
  }

  /** One record is done: its segment goes once all of its records are. */
  release(loc: DiskLoc): void {
    const s = loc.seg;
    s.live--;
    if (s.live <= 0 && this.segments.includes(s)) this.remove(s);
  }

  private remove(s: Segment): void {
    try {
      closeSync(s.fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(path.join(this.dir, s.name));
    } catch {
      // gone already
    }
    this.budget.release(s.size);
    this.segments = this.segments.filter((x) => x !== s);
    if (this.active === s) this.active = undefined;
  }

  /** Flushes written records to the device (power loss; a killed process loses nothing written). */
  flush(): Promise<void> {
    if (!this.anyDirty) return FLUSHED; // the common case at every sync: no promise, no filter
    this.anyDirty = false;
    const dirty = this.segments.filter((s) => s.dirty);
    for (const s of dirty) s.dirty = false;
    return Promise.all(dirty.map((s) => new Promise<void>((resolve) => fdatasync(s.fd, () => resolve())))).then(() => undefined);
  }

  close(): void {
    for (const s of this.segments) {
      try {
        closeSync(s.fd);
      } catch {
        // already closed
      }
    }
    this.segments = [];
    this.active = undefined;
  }

  /** Deletes the directory (the drain was removed). */
  destroy(): void {
    for (const s of this.segments) this.budget.release(s.size);
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Writes all of `b` at `pos` (a short write is continued; none at all throws). */
export function writeFully(fd: number, b: Buffer, pos: number): void {
  for (let off = 0; off < b.length; ) {
    const n = writeSync(fd, b, off, b.length - off, pos + off);
    if (n <= 0) throw new Error('short write');
    off += n;
  }
}
