// A drain's queue of encoded bytes: frames packed into blocks (one block = one HTTP batch or one
// socket write), held in memory while the receiver keeps up, spilled to the drain's spool when it
// falls behind, is down, or the memory budget is spent. Only past a budget is the oldest dropped.
import type { SpoolBudget } from './budget.js';
import { isDone, undoneIn, unionDone, type DoneSet } from './done-set.js';
import { LossReport, type Loss } from './loss.js';
import { Spool, type DiskLoc, type ScanResult } from './spool.js';
import { StateBook } from './state-book.js';
import { emptyCounters, lossToJson, type Counters } from './state.js';
import { HEADER_BYTES } from './record.js';
import { BufferPool } from '../../core/buffer-pool.js';

/** One unit of delivery: frames of consecutive lines, fixed once sealed. */
export interface Block {
  /** Number of the first line (per drain, from 0): the block's identity across restarts. */
  readonly first: number;
  readonly lines: number;
  /** Bytes of frames. */
  readonly bytes: number;
  /** When the first line was queued (ms since the epoch). */
  readonly at: number;
  buf: Buffer | undefined;
  disk: DiskLoc | undefined;
  /** The sender has it (the queue never drops a taken block to make room). */
  taken: boolean;
}

export interface SpoolConfig {
  dir: string;
  budget: SpoolBudget;
  /** This drain's disk budget (`--drain-spool-bytes`). */
  maxBytes: number;
  /** Where the state is kept, under `key` (the manager's, shared by every drain); absent: a book of its own in `dir`. */
  book?: StateBook;
  key?: string;
}

export interface QueueOptions {
  /** `--drain-memory-bytes`. */
  memoryBytes: number;
  /** Frames per block stop at these (the drain kind's batch or write size). */
  blockBytes: number;
  blockLines: number;
  /** Absent: memory only (nothing survives a restart). */
  spool?: SpoolConfig;
}

export interface QueueStats {
  lines: number;
  bytes: number;
  memory_lines: number;
  memory_bytes: number;
  /** Queued lines with a copy in the spool (they may be held in memory too). */
  disk_lines: number;
  /** Bytes of this drain's spool files. */
  disk_bytes: number;
  oldest_at: number | null;
  /** disk_bytes ÷ the drain's spool budget (0 for memory-only queues). */
  spool_share: number;
}

/** The stats of a queue that holds nothing (a drain not running here). */
export const emptyQueueStats = (): QueueStats => ({
  lines: 0,
  bytes: 0,
  memory_lines: 0,
  memory_bytes: 0,
  disk_lines: 0,
  disk_bytes: 0,
  oldest_at: null,
  spool_share: 0,
});

/** What a start found in the spool. */
export interface Recovered {
  lines: number;
  /** Lines in records that could not be read (counted as dropped and reported as L10). */
  skippedLines: number;
  skippedBytes: number;
}

interface OpenBlock {
  buf: Buffer;
  len: number;
  lines: number;
  first: number;
  at: number;
}

const MIN_BLOCK_ALLOC = 4096;

/**
 * Block buffers, shared by every queue (see BufferPool: fresh ones cost page faults). A buffer
 * comes back when the sender says its bytes are free (a syslog write the kernel took), or at the
 * end of the turn in which a block grew or was sealed into a smaller copy: never at once, since
 * while a line is being delivered the next drain may still copy its frame from another drain's
 * block (writeFrameLike), and a buffer handed to that drain's queue could be the very source.
 * Up to 128 KiB (an HTTP batch is 100 KB), 16 MiB waiting at most.
 */
export const BLOCKS = new BufferPool(128 << 10, 16 << 20, MIN_BLOCK_ALLOC);
const releasing: Buffer[] = [];
const releaseLater = (buf: Buffer): void => {
  if (releasing.push(buf) === 1) setImmediate(() => {
    for (const b of releasing) BLOCKS.release(b);
    releasing.length = 0;
  });
};
const blockBuffer = (size: number): Buffer => (BLOCKS.fits(size) ? BLOCKS.get(size) : Buffer.allocUnsafe(size));
/** `wbuf` between blocks: a sealed block's buffer is not pinned by the queue that wrote it. */
const NO_BUF = Buffer.alloc(0);

export class DrainQueue {
  readonly loss = new LossReport();
  counters: Counters = emptyCounters();
  /** Bytes of garbage skipped in the spool, ever (persisted with the counters). */
  skippedBytes = 0;
  /** While true (the receiver is failing), sealed blocks go to disk at once and leave memory. */
  spillAll = false;
  private readonly blocks: Block[] = [];
  private open: OpenBlock | undefined;
  private nextLine = 0;
  /** Bytes of the block sealed last: the next open block's first size. */
  private lastBlockBytes = 0;
  private memBytes = 0;
  private memLines = 0;
  private diskLines = 0;
  private queuedLines = 0;
  private queuedBytes = 0;
  private readonly spool: Spool | undefined;
  private readonly book: StateBook | undefined;
  private readonly key: string;
  private version = 0;
  private savedVersion = -1;
  /** Set once the queue changed since `onDirty` last fired; cleared by `sync`. */
  private listed = false;
  /**
   * Called when the queue changes for the first time since its last `sync`: the manager syncs
   * only the queues this names, not every drain every interval.
   */
  onDirty: (() => void) | undefined;
  private lossInFlight: Loss | undefined;
  /** The open block's buffer, where `begin` told the encoder to write. */
  wbuf: Buffer = NO_BUF;

  constructor(private readonly o: QueueOptions) {
    if (o.spool) {
      const segmentBytes = Math.min(16 << 20, Math.max(16 << 10, Math.floor(o.spool.maxBytes / 8)));
      this.spool = new Spool(o.spool.dir, o.spool.budget, segmentBytes);
      this.book = o.spool.book ?? new StateBook(o.spool.dir);
    }
    this.key = o.spool?.key ?? '';
  }

  /** The queue keeps its state in a book of its own (not the manager's): it commits and closes it. */
  private get ownBook(): boolean {
    return this.book !== undefined && this.o.spool?.book === undefined;
  }

  private touch(): void {
    this.version++;
    if (!this.listed) {
      this.listed = true;
      this.onDirty?.();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Input (the hot path): `begin(size)`, write `size` bytes at `wbuf[offset]`, `end(size)`.

  /** Room for one frame of exactly `size` bytes; returns the offset in `wbuf`. */
  begin(size: number): number {
    let ob = this.open;
    if (ob !== undefined && (ob.lines >= this.o.blockLines || ob.len + size > this.o.blockBytes)) {
      this.seal();
      ob = undefined;
    }
    if (ob === undefined) {
      // Sized like the last block (+¼): a busy drain's blocks are born big enough instead of
      // growing 4 KiB → 64 KiB by copying (a copy of every byte, per drain, at fan-out rates).
      const want = Math.max(MIN_BLOCK_ALLOC, this.lastBlockBytes + (this.lastBlockBytes >> 2));
      const cap = Math.max(size, Math.min(this.o.blockBytes, want));
      ob = this.open = { buf: blockBuffer(cap), len: 0, lines: 0, first: this.nextLine, at: 0 };
    } else if (ob.len + size > ob.buf.length) {
      const next = blockBuffer(Math.max(ob.len + size, Math.min(this.o.blockBytes, ob.buf.length * 2)));
      ob.buf.copy(next, 0, 0, ob.len);
      releaseLater(ob.buf);
      ob.buf = next;
    }
    this.wbuf = ob.buf;
    return ob.len;
  }

  end(size: number): void {
    const ob = this.open!;
    if (ob.lines === 0) ob.at = Date.now();
    ob.len += size;
    ob.lines++;
    this.nextLine++;
    this.memBytes += size;
    this.memLines++;
    this.queuedLines++;
    this.queuedBytes += size;
    this.touch();
    if (this.memBytes > this.o.memoryBytes) this.relieve();
  }

  /**
   * The next line's number, set by a feed that numbers lines itself (cluster mode: from the
   * replicated stream). A jump seals the open block, so blocks are cut where the feed's messages
   * are: a message sent again by another node makes the same blocks, with the same first lines
   * (Frame-Ids) and the same bytes. Memory-only queues only: the spool needs consecutive numbers.
   */
  numberNext(n: number): void {
    if (this.spool !== undefined || n === this.nextLine) return;
    this.seal();
    this.nextLine = n;
  }

  /** Appends a frame that is already bytes (tests, the L10 path of kinds without an encoder). */
  push(frame: Buffer): void {
    const at = this.begin(frame.length);
    frame.copy(this.wbuf, at);
    this.end(frame.length);
  }

  /** The open block becomes a queued block. */
  private seal(): void {
    const ob = this.open;
    if (ob === undefined || ob.lines === 0) return;
    this.open = undefined;
    // Else the last block's buffer (up to 64 KiB) stays reachable after it was spilled and
    // forgotten, or while the drain stays quiet: with 1,000 drains down ~60 MiB of RSS, with
    // 10,000 quiet drains ~300 MB.
    this.wbuf = NO_BUF;
    this.lastBlockBytes = ob.len;
    // A block sealed early (sync, a lone line) should not pin a buffer many times its size.
    let buf = ob.buf.subarray(0, ob.len);
    if (ob.buf.length > 2 * ob.len && ob.len < 65_536) {
      buf = Buffer.from(buf);
      releaseLater(ob.buf);
    }
    this.blocks.push({ first: ob.first, lines: ob.lines, bytes: ob.len, at: ob.at, buf, disk: undefined, taken: false });
    if (this.spillAll) this.spill(false);
  }

  // ---------------------------------------------------------------------------------------
  // Budgets

  /** Memory past its budget: spill to disk, else drop the oldest that only memory holds. */
  private relieve(): void {
    if (this.open && this.open.len > this.o.memoryBytes) this.seal();
    this.spill(true);
    if (this.memBytes <= this.o.memoryBytes) return;
    // No disk (memory-only, budget spent, disk full): the oldest in memory goes.
    for (let i = 0; i < this.blocks.length && this.memBytes > this.o.memoryBytes; ) {
      const b = this.blocks[i];
      if (b.taken || b.buf === undefined || b.disk !== undefined) {
        i++;
        continue;
      }
      this.dropAt(i);
    }
    if (this.memBytes > this.o.memoryBytes && this.open && this.open.lines > 0 && this.blocks.every((b) => b.taken || b.buf === undefined)) {
      // Only the open block is left: it goes too (a budget smaller than one block).
      this.seal();
      const i = this.blocks.length - 1;
      if (!this.blocks[i].taken) this.dropAt(i);
    }
  }

  /**
   * Writes queued blocks not yet on disk, oldest first, and lets go of memory copies: all of
   * them when `toBudget` is false, else until memory is back within its budget.
   */
  private spill(toBudget: boolean): void {
    if (this.spool === undefined) return;
    for (const b of this.blocks) {
      if (toBudget && this.memBytes <= this.o.memoryBytes) return;
      if (b.disk === undefined && !this.write(b)) return; // order: nothing after an unwritten block
      if (b.buf !== undefined) this.forget(b);
    }
  }

  /** Puts a block in the spool, dropping the oldest spooled blocks if a disk budget says so. */
  private write(b: Block): boolean {
    const spool = this.spool;
    if (spool === undefined || b.buf === undefined) return false;
    const need = HEADER_BYTES + b.bytes;
    const max = this.o.spool!.maxBytes;
    while (spool.bytes + need > max || !spool.fits(need)) {
      if (!this.dropOldestSpooled(b)) return false;
    }
    const loc = spool.append({ lines: b.lines, first: b.first, at: b.at, done: this.doneSnapshot() }, b.buf);
    if (loc === undefined) return false;
    b.disk = loc;
    this.diskLines += b.lines;
    this.counters.spooled += b.lines;
    return true;
  }

  private dropOldestSpooled(except: Block): boolean {
    for (let i = 0; i < this.blocks.length; i++) {
      const b = this.blocks[i];
      if (b.taken) continue;
      if (b === except || b.disk === undefined) return false;
      this.dropAt(i);
      return true;
    }
    return false;
  }

  private forget(b: Block): void {
    if (b.buf === undefined) return;
    b.buf = undefined;
    this.memBytes -= b.bytes;
    this.memLines -= b.lines;
  }

  /** A block is lost to a budget or to the receiver: counted, reported in the next L10. */
  private dropAt(i: number, corrupt = false): void {
    const b = this.blocks[i];
    this.blocks.splice(i, 1);
    this.finish(b);
    this.counters.dropped += b.lines;
    if (corrupt) this.counters.corrupt += b.lines;
    this.loss.add(b.lines, new Date(b.at || Date.now()));
  }

  private finish(b: Block): void {
    this.forget(b);
    if (b.disk !== undefined) {
      this.spool?.release(b.disk);
      this.diskLines -= b.lines;
      b.disk = undefined;
    }
    this.queuedLines -= b.lines;
    this.queuedBytes -= b.bytes;
    this.touch();
  }

  // ---------------------------------------------------------------------------------------
  // The sender: take the oldest block, read its bytes, ack it or drop it.

  get empty(): boolean {
    return this.queuedLines === 0;
  }

  get length(): number {
    return this.queuedLines;
  }

  /** The oldest block (the open one is sealed when nothing else waits); it is marked taken. */
  take(): Block | undefined {
    if (this.blocks.length === 0) this.seal();
    const b = this.blocks[0];
    if (b !== undefined) b.taken = true;
    return b;
  }

  /** The block's frames, from memory or disk; undefined when the spool copy is unreadable (the
   *  block is then dropped and counted as corrupt, and the caller takes the next one). */
  async bytes(b: Block): Promise<Buffer | undefined> {
    if (b.buf !== undefined) return b.buf;
    const loc = b.disk;
    const data = loc && this.spool ? await this.spool.read(loc) : undefined;
    if (data !== undefined || b.disk === undefined) return data;
    const i = this.blocks.indexOf(b);
    if (i >= 0) this.dropAt(i, true);
    return undefined;
  }

  /**
   * Delivered; `lost` of its lines were not (UDP datagrams the kernel refused). `bytesFree`: the
   * sender holds no reference to the block's bytes any more (the kernel took them), so its buffer
   * may be reused. An HTTP sender cannot say so: a receiver may answer before it read the body.
   */
  ack(b: Block, lost = 0, bytesFree = false): void {
    const i = this.blocks.indexOf(b);
    if (i < 0) return;
    if (bytesFree && b.buf !== undefined) releaseLater(b.buf);
    this.blocks.splice(i, 1);
    this.finish(b);
    this.counters.delivered += b.lines - lost;
    if (lost > 0) {
      this.counters.dropped += lost;
      this.loss.add(lost);
    }
  }

  /** The receiver will never take it (or retries ran out): dropped and counted. */
  reject(b: Block): void {
    const i = this.blocks.indexOf(b);
    if (i >= 0) this.dropAt(i);
  }

  /**
   * The pending loss, for an L10 frame in the next delivery. It counts as unreported (and is
   * persisted as such) until `settleLoss(true)`; `settleLoss(false)` puts it back.
   */
  takeLoss(): Loss | undefined {
    const l = this.loss.take();
    if (l) this.lossInFlight = l;
    return l;
  }

  settleLoss(delivered: boolean): void {
    if (!delivered) this.loss.restore(this.lossInFlight);
    this.lossInFlight = undefined;
    this.touch();
  }

  /** The sender let go without an outcome (stopped): the block stays first in line. */
  untake(b: Block): void {
    b.taken = false;
  }

  // ---------------------------------------------------------------------------------------
  // Persistence

  /** What is done right now, conservatively (see done-set.ts): first undone line, one hole. */
  private doneSnapshot(): DoneSet {
    const rest = (i: number): number => this.blocks[i]?.first ?? this.open?.first ?? this.nextLine;
    const head = this.blocks[0];
    if (head === undefined) return { below: rest(0), hole: null };
    const next = rest(1);
    const end = head.first + head.lines;
    return next > end ? { below: next, hole: [head.first, end] } : { below: head.first, hole: null };
  }

  /**
   * The periodic spool sync: every queued line (the open block sealed) is written to disk, so a
   * killed process loses only what arrived since. Memory copies stay while the receiver keeps
   * up and memory allows. Returns whether lines are left that could not be written (a budget
   * or the disk said no): the caller tries again next time even if nothing changes.
   */
  sync(): boolean {
    this.listed = false;
    if (this.spool === undefined) return false;
    this.seal();
    let left = false;
    for (const b of this.blocks) {
      if (b.disk === undefined && !this.write(b)) {
        left = true;
        break;
      }
      if (this.spillAll && b.buf !== undefined && b.disk !== undefined) this.forget(b);
    }
    return left;
  }

  /** fdatasync of what `sync` wrote (async: the event loop never waits on the device). */
  flush(): Promise<void> {
    return this.spool?.flush() ?? Promise.resolve();
  }

  /**
   * Puts the state (counters, next line, what is done, the pending loss) in the book; the book's
   * owner writes it (the manager: all drains' in one batch). A write the disk refused is tried
   * again at the next commit; meanwhile the records' own headers still say what is done.
   */
  saveState(): void {
    if (this.book === undefined) return;
    if (this.version !== this.savedVersion) {
      // A loss taken by an L10 in flight is still unreported until that delivery succeeds.
      const pending = this.loss.peek();
      const f = this.lossInFlight;
      const loss = f ? { count: f.count + (pending?.count ?? 0), since: pending && pending.since < f.since ? pending.since : f.since } : pending;
      this.book.put(this.key, {
        counters: { ...this.counters },
        nextLine: this.nextLine,
        done: this.doneSnapshot(),
        loss: lossToJson(loss),
        skippedBytes: this.skippedBytes,
      });
      this.savedVersion = this.version;
    }
    if (this.ownBook) this.book.commit();
  }

  /** On stop: everything to disk, state written. Returns the lines kept (0 when memory-only). */
  async close(): Promise<number> {
    if (this.spool === undefined) return 0;
    this.sync();
    await this.flush();
    this.version++; // written even when unchanged (no hook: the manager is stopping)
    this.saveState();
    const kept = this.blocks.reduce((n, b) => n + (b.disk ? b.lines : 0), 0);
    this.spool.close();
    if (this.ownBook) this.book?.close();
    return kept;
  }

  /** The drain was deleted: its spool goes with it. */
  destroy(): void {
    if (this.ownBook) this.book?.close();
    else this.book?.drop(this.key);
    this.spool?.destroy();
    this.blocks.length = 0;
    this.open = undefined;
  }

  /**
   * Reads what a previous run left: the state file and every segment. Unreadable records are
   * skipped and counted (dropped, corrupt, and in the next L10); never throws on content.
   */
  recover(): Recovered {
    const out: Recovered = { lines: 0, skippedLines: 0, skippedBytes: 0 };
    if (this.spool === undefined || this.book === undefined) return out;
    const st = this.book.recall(this.key, this.spool.dir);
    let scan: ScanResult;
    try {
      scan = this.spool.scan();
    } catch {
      return out; // an unreadable directory: start empty rather than not at all
    }
    let done = st?.done ?? { below: 0, hole: null };
    for (const r of scan.records) done = unionDone(done, r.header.done);
    if (st) {
      this.counters = st.counters;
      this.skippedBytes = st.skippedBytes ?? 0;
      if (st.loss) this.loss.add(st.loss.count, new Date(st.loss.since));
    }
    let lost = 0;
    const undone = (x: number, y: number): number => undoneIn(done, x, y);
    let expected: number | undefined;
    let last = -1;
    const firstOf = new Map(scan.segments.map((s) => [s.seg, s.first]));
    for (const r of scan.records) {
      const h = r.header;
      const end = h.first + h.lines;
      // Records lost in between: the previous readable record's end (or where this segment's
      // name says it starts, for junk at a segment's head) up to what this record says preceded it.
      const from = expected ?? (r.loc.pos > 0 ? firstOf.get(r.loc.seg) : undefined);
      if (from !== undefined && h.prevEnd > from) lost += undone(from, Math.min(h.prevEnd, h.first));
      expected = end;
      if (h.first < last || isDone(done, h.first, end)) continue; // done, or out of order (garbage)
      last = end;
      const bytes = h.rawBytes || h.payloadBytes;
      this.blocks.push({ first: h.first, lines: h.lines, bytes, at: h.at, buf: undefined, disk: r.loc, taken: false });
      this.diskLines += h.lines;
      this.queuedLines += h.lines;
      this.queuedBytes += bytes;
      out.lines += h.lines;
    }
    for (const [a, b] of scan.tornLines) lost += undone(Math.max(a, last), b);
    this.spool.adopt(scan.records, done);
    this.nextLine = Math.max(st?.nextLine ?? 0, last, expected ?? 0, done.below);
    if (lost > 0) {
      this.counters.dropped += lost;
      this.counters.corrupt += lost;
      this.loss.add(lost);
    }
    this.skippedBytes += scan.skippedBytes;
    out.skippedLines = lost;
    out.skippedBytes = scan.skippedBytes;
    this.version++; // the manager syncs a recovered queue once it has hooked `onDirty`
    return out;
  }

  stats(): QueueStats {
    const first = this.blocks[0]?.at ?? (this.open && this.open.lines > 0 ? this.open.at : undefined);
    const diskBytes = this.spool?.bytes ?? 0;
    return {
      lines: this.queuedLines,
      bytes: this.queuedBytes,
      memory_lines: this.memLines,
      memory_bytes: this.memBytes,
      disk_lines: this.diskLines,
      disk_bytes: diskBytes,
      oldest_at: first ?? null,
      spool_share: this.o.spool ? diskBytes / this.o.spool.maxBytes : 0,
    };
  }
}
