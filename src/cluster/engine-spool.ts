// A node's engine input on local disk while the engine is away: each message (app, message id,
// encoded lines) is one checksummed record of the drain queue's spool format, replayed oldest first.
import type { SpoolBudget } from '../drains/queue/budget.js';
import { Spool, type DiskLoc } from '../drains/queue/spool.js';
import type { MessageSpool, SpooledMessage as Message } from '../engine/nats/message-spool.js';

/** A message with where it lives on disk. */
interface SpooledMessage extends Message {
  /** Number of its first line in this spool (lines are numbered in write order, from 0). */
  first: number;
  loc: DiskLoc;
}

export interface SpoolOpenReport {
  messages: number;
  lines: number;
  /** Lines of records that could not be read back (torn by a crash, bad checksum): lost, counted. */
  lostLines: number;
}

const SEGMENT_BYTES = 8 << 20;

/**
 * A FIFO on disk. Every record carries "every line below N is published" (N = the oldest message
 * not yet published when it was written), so a restart skips what was published before the last
 * write; messages published after that are sent again under their id and the stream's duplicate
 * window (2 minutes) keeps one copy.
 */
export class EngineSpool implements MessageSpool {
  private readonly spool: Spool;
  private queue: SpooledMessage[] = [];
  private nextLine = 0;
  /** Lines waiting per app (a history message whose app has `keep` newer lines waiting is not worth sending). */
  private readonly appLines = new Map<string, number>();
  lines = 0;
  /** Lines found unreadable by `open` (counted as dropped by the batcher). */
  lostAtOpen = 0;

  constructor(dir: string, budget: SpoolBudget) {
    this.spool = new Spool(dir, budget, SEGMENT_BYTES);
  }

  /** Reads what a previous run left; call once, before anything is appended. */
  async open(): Promise<SpoolOpenReport> {
    const scan = this.spool.scan();
    let below = 0;
    for (const r of scan.records) {
      below = Math.max(below, r.header.done.below);
      this.nextLine = Math.max(this.nextLine, r.header.first + r.header.lines);
    }
    for (const [, end] of scan.tornLines) this.nextLine = Math.max(this.nextLine, end);
    const done = { below, hole: null };
    this.spool.adopt(scan.records, done);
    let lostLines = scan.tornLines.reduce((n, [a, b]) => n + Math.max(0, b - Math.max(a, below)), 0);
    for (const r of scan.records) {
      if (r.header.first + r.header.lines <= below) continue;
      const frames = await this.spool.read(r.loc);
      const m = frames && parseFrames(frames);
      if (!m) {
        lostLines += r.header.lines;
        this.spool.release(r.loc);
        continue;
      }
      this.push({ appId: m.appId, id: m.id, lines: r.header.lines, first: r.header.first, loc: r.loc, mark: 0, done: false, sending: false });
    }
    this.lostAtOpen = lostLines;
    return { messages: this.queue.length, lines: this.lines, lostLines };
  }

  get size(): number {
    return this.queue.length;
  }

  get bytes(): number {
    return this.spool.bytes;
  }

  /** Writes one message; undefined when the byte budget (or the disk) has no room for it. */
  append(appId: string, id: string, data: Uint8Array, lines: number, mark: number): SpooledMessage | undefined {
    const first = this.nextLine;
    const below = this.queue.length ? this.queue[0].first : first;
    const loc = this.spool.append({ lines, first, at: Date.now(), done: { below, hole: null } }, frames(appId, id, data));
    if (loc === undefined) return undefined;
    this.nextLine += lines;
    const m: SpooledMessage = { appId, id, lines, first, loc, mark, done: false, sending: false };
    this.push(m);
    return m;
  }

  /** Up to `n` of the oldest messages not being sent, in order. */
  next(n: number): SpooledMessage[] {
    const out: SpooledMessage[] = [];
    for (const m of this.queue) {
      if (out.length >= n) break;
      if (!m.done && !m.sending) out.push(m);
    }
    return out;
  }

  /** Lines of `appId` waiting after `m` (what a history message competes with). */
  newerLines(m: SpooledMessage): number {
    return (this.appLines.get(m.appId) ?? 0) - m.lines;
  }

  /** The message's encoded lines, or undefined when its record no longer reads back. */
  async data(m: SpooledMessage): Promise<Uint8Array | undefined> {
    const frames = await this.spool.read(m.loc);
    return frames ? parseFrames(frames)?.data : undefined;
  }

  /** The app's messages waiting, oldest first. */
  of(appId: string): SpooledMessage[] {
    return this.queue.filter((m) => m.appId === appId && !m.done);
  }

  /** The message is published (or given up and counted): its record goes; returns the mark now reached. */
  release(m: SpooledMessage): number | undefined {
    if (m.done) return undefined;
    m.done = true;
    m.sending = false;
    this.lines -= m.lines;
    const left = (this.appLines.get(m.appId) ?? 0) - m.lines;
    if (left > 0) this.appLines.set(m.appId, left);
    else this.appLines.delete(m.appId);
    this.spool.release(m.loc);
    let reached: number | undefined;
    while (this.queue.length && this.queue[0].done) reached = this.queue.shift()!.mark;
    return reached;
  }

  /** Forgets an app's messages (the app was deleted). */
  forget(appId: string): void {
    for (const m of this.of(appId)) this.release(m);
  }

  /** Written records to the device (power loss; a killed process loses nothing written). */
  sync(): Promise<void> {
    return this.spool.flush();
  }

  close(): void {
    this.spool.close();
  }

  private push(m: SpooledMessage): void {
    this.queue.push(m);
    this.lines += m.lines;
    this.appLines.set(m.appId, (this.appLines.get(m.appId) ?? 0) + m.lines);
  }
}

/** `u16 app id length, app id, u16 message id length, message id, encoded lines`. */
function frames(appId: string, id: string, data: Uint8Array): Buffer {
  const a = Buffer.from(appId);
  const i = Buffer.from(id);
  const b = Buffer.allocUnsafe(4 + a.length + i.length + data.length);
  b.writeUInt16LE(a.length, 0);
  a.copy(b, 2);
  b.writeUInt16LE(i.length, 2 + a.length);
  i.copy(b, 4 + a.length);
  b.set(data, 4 + a.length + i.length);
  return b;
}

function parseFrames(b: Buffer): { appId: string; id: string; data: Uint8Array } | undefined {
  if (b.length < 4) return undefined;
  const al = b.readUInt16LE(0);
  if (b.length < 4 + al) return undefined;
  const il = b.readUInt16LE(2 + al);
  if (b.length < 4 + al + il) return undefined;
  return { appId: b.toString('utf8', 2, 2 + al), id: b.toString('utf8', 4 + al, 4 + al + il), data: b.subarray(4 + al + il) };
}
