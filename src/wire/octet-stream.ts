// The TCP/TLS syslog stream framer: RFC 6587 octet-counted frames and newline lines on one connection.

/**
 * Receives what the framer cuts out of the stream, synchronously and in stream order.
 * A frame's Buffer usually aliases the chunk passed to `push` (only frames that straddled
 * chunks get a fresh buffer): the sink must consume it before returning, or copy it, because
 * the caller may reuse its chunk once `push` returns.
 */
export interface FrameSink {
  frame(bytes: Buffer): void;
  malformed(reason: string): void;
}

export interface StreamFramerOptions {
  /** Largest message accepted, in bytes; default 10240 (Logplex's SYSLOG_MAX_SIZE). */
  maxFrameBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
/** 10 digits already exceed any sane limit; more can only be junk, so stop counting there. */
const MAX_LENGTH_DIGITS = 10;

// What the next byte means. A frame starts in START and decides its kind on its first byte.
const START = 0; // between frames
const LENGTH = 1; // reading the octet count; the digits may yet turn out to begin a plain line
const OCTET = 2; // reading a counted body
const LINE = 3; // reading up to LF
const DISCARD = 4; // resynchronising after a malformed frame: dropping bytes through the next LF

/**
 * Cuts a byte stream into syslog messages (SPEC §3.2). Each frame decides its own kind: a digit
 * 1–9, more digits, then SP is RFC 6587 octet counting; anything else is a line ending in LF
 * (one trailing CR stripped, empty lines skipped). Oversized frames and over-long length
 * fields are reported once and skipped through the next LF, so memory stays bounded by
 * `maxFrameBytes` whatever the peer sends.
 *
 * Split-invariant: any division of the same bytes into chunks gives the same calls on the sink,
 * because every decision depends only on stream content, never on where a chunk ended.
 * Frames lying inside one chunk are emitted as subarrays without copying; bytes of a frame
 * still incomplete when `push` returns are copied, since callers may reuse their buffers.
 */
export class StreamFramer {
  readonly #sink: FrameSink;
  readonly #max: number;
  #state = START;
  /** LENGTH: the count read so far; OCTET: the declared count. */
  #length = 0;
  #digits = 0;
  /** Copies of the current LENGTH/LINE frame's bytes that arrived in earlier chunks. */
  #carry: Buffer[] = [];
  #carryBytes = 0;
  /** OCTET body being assembled across chunks; null while none of it has arrived. */
  #body: Buffer | null = null;
  #filled = 0;

  constructor(sink: FrameSink, opts: StreamFramerOptions = {}) {
    this.#sink = sink;
    this.#max = opts.maxFrameBytes ?? 10240;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    let start = 0; // where the current frame's bytes begin in this chunk; 0 if it began earlier
    while (i < n) {
      switch (this.#state) {
        case START: {
          const c = chunk[i];
          start = i;
          if (c >= ONE && c <= NINE) {
            this.#state = LENGTH;
            this.#length = c - ZERO;
            this.#digits = 1;
            i++;
          } else {
            this.#state = LINE;
          }
          break;
        }
        case LENGTH:
          i = this.#lengthDigits(chunk, i);
          break;
        case OCTET:
          i = this.#octetBody(chunk, i);
          break;
        case LINE:
          i = this.#line(chunk, i, start);
          break;
        default: {
          const lf = chunk.indexOf(LF, i);
          if (lf < 0) i = n;
          else {
            i = lf + 1;
            this.#state = START;
          }
        }
      }
    }
    if ((this.#state === LENGTH || this.#state === LINE) && start < n) {
      this.#carry.push(Buffer.from(chunk.subarray(start, n)));
      this.#carryBytes += n - start;
    }
  }

  /** End of stream: a final unterminated line is still a message; a cut-off octet frame is not. */
  end(): void {
    const state = this.#state;
    this.#state = START;
    if (state === LENGTH || state === LINE) {
      this.#finishLine(this.#takeCarry());
    } else if (state === OCTET) {
      const declared = this.#length;
      const present = this.#filled;
      this.#body = null;
      this.#filled = 0;
      this.#sink.malformed(`truncated frame at end of stream (declared ${declared} bytes, ${present} present)`);
    }
  }

  #lengthDigits(chunk: Buffer, i: number): number {
    const n = chunk.length;
    while (i < n) {
      const c = chunk[i];
      if (c >= ZERO && c <= NINE) {
        if (++this.#digits > MAX_LENGTH_DIGITS) return this.#reject(`length field longer than ${MAX_LENGTH_DIGITS} digits`, i + 1);
        this.#length = this.#length * 10 + (c - ZERO);
        i++;
      } else if (c === SP) {
        this.#takeCarry(); // the digits were framing, not message
        if (this.#length > this.#max) return this.#reject(`frame length ${this.#length} exceeds ${this.#max}`, i + 1);
        this.#state = OCTET;
        this.#filled = 0;
        return i + 1;
      } else {
        this.#state = LINE; // `2024-…`, `12\n`: the digits begin an ordinary line
        return i;
      }
    }
    return i;
  }

  #octetBody(chunk: Buffer, i: number): number {
    const need = this.#length - this.#filled;
    const avail = chunk.length - i;
    if (this.#body === null) {
      if (avail >= need) {
        this.#state = START;
        this.#sink.frame(chunk.subarray(i, i + need)); // the common case: no copy
        return i + need;
      }
      this.#body = Buffer.allocUnsafe(this.#length); // bounded: length <= maxFrameBytes
    }
    const take = Math.min(need, avail);
    chunk.copy(this.#body, this.#filled, i, i + take);
    this.#filled += take;
    if (this.#filled === this.#length) {
      const body = this.#body;
      this.#body = null;
      this.#filled = 0;
      this.#state = START;
      this.#sink.frame(body);
    }
    return i + take;
  }

  #line(chunk: Buffer, i: number, start: number): number {
    const n = chunk.length;
    const lf = chunk.indexOf(LF, i);
    if (lf < 0) {
      // Give up as soon as the line cannot fit even after stripping a final CR, rather than
      // buffering an unbounded line from a peer that never sends LF.
      const total = this.#carryBytes + (n - start);
      if (total > this.#max && (total > this.#max + 1 || chunk[n - 1] !== CR)) {
        return this.#reject(`line longer than ${this.#max} bytes`, n);
      }
      return n; // push() carries the bytes over
    }
    const own = chunk.subarray(start, lf);
    const line = this.#carryBytes === 0 ? own : Buffer.concat([...this.#takeCarry(), own]);
    this.#state = START;
    this.#finishLine(line);
    return lf + 1;
  }

  /** Emits a complete line: strips one CR, skips it if empty, refuses it if too long. */
  #finishLine(parts: Buffer | Buffer[]): void {
    let line = Array.isArray(parts) ? Buffer.concat(parts) : parts;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.#max) this.#sink.malformed(`line longer than ${this.#max} bytes`);
    else if (line.length > 0) this.#sink.frame(line);
  }

  #takeCarry(): Buffer[] {
    const carry = this.#carry;
    this.#carry = [];
    this.#carryBytes = 0;
    return carry;
  }

  /** Reports once and skips through the next LF (the earliest point a new frame can begin). */
  #reject(reason: string, next: number): number {
    this.#takeCarry();
    this.#state = DISCARD;
    this.#sink.malformed(reason);
    return next;
  }
}
