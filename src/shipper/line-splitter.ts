// Bytes of a stream (a child's stdout, a pipe) → lines, each at most 10,000 bytes. Pure.
import { MAX_LINE_BYTES, cutPoint } from './encoder.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * `push(bytes)` returns the complete lines seen so far (without `\n` or `\r\n`); the unfinished
 * tail is kept for the next call and `end()` returns it. A line longer than `max` bytes comes
 * out as `max`-byte chunks as soon as they are complete, so memory stays bounded whatever the
 * producer writes, and the chunks are the same as splitting the whole line (no character is
 * cut in two). Empty lines are skipped: a frame with nothing in it tells a reader nothing.
 */
export class LineSplitter {
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly max = MAX_LINE_BYTES) {}

  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let buf = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(LF, start);
      if (nl < 0) break;
      let end = nl;
      if (end > start && buf[end - 1] === CR) end--;
      this.emit(buf.subarray(start, end), out);
      start = nl + 1;
    }
    buf = buf.subarray(start);
    // An unfinished line longer than `max`: ship the complete chunks now, keep the rest.
    while (buf.length > this.max) {
      const cut = cutPoint(buf, this.max);
      out.push(buf.toString('utf8', 0, cut));
      buf = buf.subarray(cut);
    }
    // Copy, so that the caller's chunk is not pinned by a small leftover.
    this.carry = Buffer.from(buf);
    return out;
  }

  /** The last line, when the stream ended without a newline. */
  end(): string[] {
    const out: string[] = [];
    this.emit(this.carry, out);
    this.carry = Buffer.alloc(0);
    return out;
  }

  private emit(line: Buffer, out: string[]): void {
    if (line.length === 0) return;
    let rest = line;
    while (rest.length > this.max) {
      const cut = cutPoint(rest, this.max);
      out.push(rest.toString('utf8', 0, cut));
      rest = rest.subarray(cut);
    }
    out.push(rest.toString('utf8'));
  }
}
