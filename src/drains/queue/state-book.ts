// Every drain's small state (state.ts's QueueState) in one append-only file, `drains.state` in the
// spool directory: each second the states that changed are appended as one checksummed batch —
// one write for all drains, where a file per drain cost an open, a write and a close each (with
// 10,000 busy drains, a fifth of the routing thread). The newest readable entry of a drain wins;
// a torn or garbled batch is skipped (the records' own headers still say what is done), and the
// file is rewritten whole (to a new file, renamed over) once it holds mostly superseded entries.
import { closeSync, constants, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFully } from './spool.js';
import { readState, type QueueState } from './state.js';

export const BOOK_FILE = 'drains.state';
/** 'SLBK'. A batch: magic, CRC-32 of the rest, body length, entry count, then the entries. */
const MAGIC = 0x4b424c53;
const BATCH_HEADER = 16;
/** An entry: key length (u16), key (UTF-8), live (u8: 0 = the drain is gone), then NUMBERS f64s. */
const NUMBERS = 11;
/** Past this size the file is rewritten when most of it is superseded. */
const COMPACT_MIN_BYTES = 1 << 20;
const COMPACT_RATIO = 4;

export class StateBook {
  private readonly file: string;
  /** The newest committed state of every drain. */
  private readonly current = new Map<string, QueueState>();
  /** States not yet written (null: the drain is gone); a failed write (disk full) leaves them for the next commit. */
  private staged = new Map<string, QueueState | null>();
  /** Bytes the current states take as entries: what a rewrite would write. */
  private liveBytes = 0;
  private fd: number | undefined;
  private size = 0;
  /** The load met bytes it could not read: the next commit rewrites the file whole. */
  private rewrite = false;
  /** Directories whose per-drain state files (earlier versions) go once their state is written here. */
  private readonly retiring = new Map<string, string>();

  constructor(readonly dir: string) {
    this.file = path.join(dir, BOOK_FILE);
    this.load();
  }

  /** The drain's state as last put, if any. */
  get(key: string): QueueState | undefined {
    const s = this.staged.has(key) ? this.staged.get(key) : this.current.get(key);
    return s ? structuredClone(s) : undefined;
  }

  /**
   * The state for a drain kept in `dir`: from this book, else from the per-drain file an earlier
   * version wrote there (which is deleted once its state has been written here).
   */
  recall(key: string, dir: string): QueueState | undefined {
    const s = this.get(key);
    if (s !== undefined) return s;
    const legacy = readState(dir)?.state;
    if (legacy !== undefined) this.retiring.set(key, dir);
    return legacy;
  }

  /** Keys of every drain with a state here. */
  keys(): string[] {
    const out = [...this.current.keys()].filter((k) => this.staged.get(k) !== null);
    for (const [k, s] of this.staged) if (s !== null && !this.current.has(k)) out.push(k);
    return out;
  }

  /** Stages the state (the caller hands it over: it must not change it afterwards). */
  put(key: string, s: QueueState): void {
    this.staged.set(key, s);
  }

  /** The drain is gone: its state goes with the next commit. */
  drop(key: string): void {
    if (this.current.has(key) || this.staged.has(key)) this.staged.set(key, null);
    this.retiring.delete(key);
  }

  /** Writes what was put since the last commit, in one batch. False when the disk said no (kept for next time). */
  commit(): boolean {
    if (this.staged.size === 0) return true;
    let live = this.liveBytes;
    for (const [k, st] of this.staged) {
      if (this.current.has(k)) live -= entryBytes(k, true);
      if (st !== null) live += entryBytes(k, true);
    }
    const whole = this.rewrite || (this.size > COMPACT_MIN_BYTES && this.size > COMPACT_RATIO * live);
    try {
      if (whole) this.writeWhole(live);
      else this.append();
    } catch {
      return false;
    }
    for (const [k, st] of this.staged) {
      if (st === null) this.current.delete(k);
      else this.current.set(k, st);
      const dir = this.retiring.get(k);
      if (dir === undefined) continue;
      this.retiring.delete(k);
      rmSync(path.join(dir, 'state.bin'), { force: true });
      rmSync(path.join(dir, 'state.json'), { force: true });
    }
    this.liveBytes = live;
    this.staged = new Map();
    return true;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private load(): void {
    let file: Buffer;
    try {
      file = readFileSync(this.file);
    } catch {
      return; // none yet
    }
    for (let at = 0; at < file.length; ) {
      const len = readBatch(file, at, (key, st) => {
        if (this.current.has(key)) this.liveBytes -= entryBytes(key, true);
        if (st === null) this.current.delete(key);
        else {
          this.current.set(key, st);
          this.liveBytes += entryBytes(key, true);
        }
      });
      if (len > 0) {
        at += len;
        continue;
      }
      // Not a readable batch: look for the next one after it.
      this.rewrite = true;
      const next = file.indexOf(MAGIC_BYTES, at + 1);
      if (next < 0) break;
      at = next;
    }
    this.size = file.length;
  }

  private append(): void {
    let bytes = 0;
    for (const [k, st] of this.staged) bytes += entryBytes(k, st !== null);
    const batch = Buffer.allocUnsafe(BATCH_HEADER + bytes);
    let at = BATCH_HEADER;
    for (const [k, st] of this.staged) at = encode(batch, at, k, st);
    seal(batch, this.staged.size);
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.fd = openSync(this.file, constants.O_WRONLY | constants.O_CREAT, 0o600);
    }
    // At the end the load found (or the last write left): the file is this book's alone.
    const before = this.size;
    try {
      writeFully(this.fd, batch, before);
    } catch (err) {
      try {
        ftruncateSync(this.fd, before); // no torn batch left for the next one to follow
      } catch {
        this.rewrite = true; // the load skips it; the next commit that can writes the file anew
      }
      throw err;
    }
    this.size = before + batch.length;
  }

  /** The whole file anew (`live` bytes of entries): written beside, flushed, renamed over (a crash leaves one or the other). */
  private writeWhole(live: number): void {
    const batch = Buffer.allocUnsafe(BATCH_HEADER + live);
    let at = BATCH_HEADER;
    let count = 0;
    for (const [k, st] of this.current) {
      if (this.staged.has(k)) continue;
      at = encode(batch, at, k, st);
      count++;
    }
    for (const [k, st] of this.staged) {
      if (st === null) continue;
      at = encode(batch, at, k, st);
      count++;
    }
    seal(batch, count);
    const tmp = `${this.file}.new`;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeFully(fd, batch, 0);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    this.close();
    this.size = batch.length;
    this.rewrite = false;
  }
}

const MAGIC_BYTES = Buffer.from(Uint32Array.of(MAGIC).buffer);

/** Bytes of one entry: a live state's, or a tombstone's. */
function entryBytes(key: string, live: boolean): number {
  return 3 + Buffer.byteLength(key, 'utf8') + (live ? NUMBERS * 8 : 0);
}

/** Fills in the batch header once the entries are written at BATCH_HEADER. */
function seal(batch: Buffer, count: number): void {
  batch.writeUInt32LE(MAGIC, 0);
  batch.writeUInt32LE(batch.length - BATCH_HEADER, 8);
  batch.writeUInt32LE(count, 12);
  batch.writeUInt32LE(crc32(batch.subarray(8)), 4);
}

/** Calls `each` for every entry of the batch at `at` (null for a tombstone); returns its length, 0 if unreadable. */
function readBatch(file: Buffer, at: number, each: (key: string, st: QueueState | null) => void): number {
  if (file.length - at < BATCH_HEADER || file.readUInt32LE(at) !== MAGIC) return 0;
  const body = file.readUInt32LE(at + 8);
  const end = at + BATCH_HEADER + body;
  if (end > file.length || crc32(file.subarray(at + 8, end)) !== file.readUInt32LE(at + 4)) return 0;
  const found: Array<[string, QueueState | null]> = [];
  for (let p = at + BATCH_HEADER; p < end; ) {
    if (end - p < 3) return 0;
    const keyLen = file.readUInt16LE(p);
    const live = p + 2 + keyLen < end ? file[p + 2 + keyLen] : -1;
    const len = 3 + keyLen + (live === 1 ? NUMBERS * 8 : 0);
    if (live < 0 || live > 1 || p + len > end) return 0;
    found.push([file.toString('utf8', p + 2, p + 2 + keyLen), live === 1 ? decode(file, p + 3 + keyLen) : null]);
    p += len;
  }
  if (found.length !== file.readUInt32LE(at + 12)) return 0;
  for (const [k, st] of found) each(k, st);
  return end - at;
}

/** Writes the entry for `key` at `at` (a tombstone when `s` is null); returns the offset after it. */
function encode(out: Buffer, at: number, key: string, s: QueueState | null): number {
  const keyLen = out.write(key, at + 2, 'utf8');
  out.writeUInt16LE(keyLen, at);
  at += 2 + keyLen;
  out[at++] = s === null ? 0 : 1;
  if (s === null) return at;
  const since = s.loss ? Date.parse(s.loss.since) : 0;
  at = out.writeDoubleLE(s.counters.delivered, at);
  at = out.writeDoubleLE(s.counters.dropped, at);
  at = out.writeDoubleLE(s.counters.spooled, at);
  at = out.writeDoubleLE(s.counters.corrupt, at);
  at = out.writeDoubleLE(s.nextLine, at);
  at = out.writeDoubleLE(s.done.below, at);
  at = out.writeDoubleLE(s.done.hole?.[0] ?? -1, at);
  at = out.writeDoubleLE(s.done.hole?.[1] ?? -1, at);
  at = out.writeDoubleLE(s.loss?.count ?? 0, at);
  at = out.writeDoubleLE(Number.isFinite(since) ? since : Date.now(), at);
  return out.writeDoubleLE(s.skippedBytes ?? 0, at);
}

function decode(b: Buffer, at: number): QueueState {
  const n = (i: number): number => {
    const x = b.readDoubleLE(at + 8 * i);
    return Number.isSafeInteger(x) && x >= 0 ? x : 0;
  };
  return {
    counters: { delivered: n(0), dropped: n(1), spooled: n(2), corrupt: n(3) },
    nextLine: n(4),
    done: { below: n(5), hole: b.readDoubleLE(at + 48) >= 0 ? [n(6), n(7)] : null },
    loss: n(8) > 0 ? { count: n(8), since: new Date(n(9)).toISOString() } : null,
    skippedBytes: n(10),
  };
}
