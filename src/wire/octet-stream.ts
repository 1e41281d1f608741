// The TCP/TLS syslog stream framer: RFC 6587 octet-counted frames and LF- or NUL-ended lines on one connection.

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

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
/** 10 digits already exceed any sane limit; more can only be junk, so stop counting there. */
const MAX_LENGTH_DIGITS = 10;
/** "Not searched yet in this chunk" for the cached terminator positions (-1 means "none left"). */
const UNKNOWN = -2;

// What the next byte means. A frame starts in START and decides its kind on its first byte.
const START = 0; // between frames
const LENGTH = 1; // reading the octet count; the digits may yet turn out to begin a plain line
const OCTET = 2; // reading a counted body
const LINE = 3; // reading up to LF or NUL
const DISCARD = 4; // resynchronising after a malformed frame: dropping bytes through the next LF or NUL

/**
 * Cuts a byte stream into syslog messages (SPEC §3.2). Each frame decides its own kind: a digit
 * 1–9, more digits, then SP is RFC 6587 octet counting; anything else is a line ending in LF or
 * NUL (Python's `SysLogHandler` and others end each message with a NUL and no LF). One trailing
 * CR is stripped from a line and empty lines are skipped; a counted body loses one trailing LF
 * (with a CR before it) or NUL, since a trailing terminator is framing, never message, and is
 * cut at any NUL inside it. Oversized
 * frames and over-long length fields are reported once and skipped through the next LF or NUL,
 * so memory stays bounded by `maxFrameBytes` whatever the peer sends; the bytes skipped that way
 * are counted in `discardedBytes`.
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
  /**
   * Next LF and NUL at or after the last search in the current chunk (-1: none left, UNKNOWN:
   * not searched). Caching both keeps a chunk of many LF lines and no NUL (or the reverse) one
   * linear scan, instead of one scan to the chunk's end per line for the absent terminator.
   */
  #lfAt = UNKNOWN;
  #nulAt = UNKNOWN;
  /** Bytes dropped while resynchronising after malformed frames, since the framer was made. */
  discardedBytes = 0;

  constructor(sink: FrameSink, opts: StreamFramerOptions = {}) {
    this.#sink = sink;
    this.#max = opts.maxFrameBytes ?? 10240;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    this.#lfAt = UNKNOWN;
    this.#nulAt = UNKNOWN;
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
          i = this.#lengthDigits(chunk, i, start);
          break;
        case OCTET:
          i = this.#octetBody(chunk, i);
          break;
        case LINE:
          i = this.#line(chunk, i, start);
          break;
        default: {
          const end = this.#terminator(chunk, i);
          if (end < 0) {
            this.discardedBytes += n - i;
            i = n;
          } else {
            this.discardedBytes += end + 1 - i;
            i = end + 1;
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
      this.#finishLine(this.#takeCarry(), 0);
    } else if (state === OCTET) {
      const declared = this.#length;
      const present = this.#filled;
      this.#body = null;
      this.#filled = 0;
      this.discardedBytes += present;
      this.#sink.malformed(`truncated frame at end of stream (declared ${declared} bytes, ${present} present)`);
    }
  }

  /** Index of the first LF or NUL at or after i in chunk, or -1. */
  #terminator(chunk: Buffer, i: number): number {
    // A cached position below i is stale (already passed): search again from i. -1 stays -1:
    // nothing after an earlier search point means nothing after i either.
    if (this.#lfAt !== -1 && this.#lfAt < i) this.#lfAt = chunk.indexOf(LF, i);
    if (this.#nulAt !== -1 && this.#nulAt < i) this.#nulAt = chunk.indexOf(NUL, i);
    const lf = this.#lfAt;
    const nul = this.#nulAt;
    if (lf < 0) return nul;
    return nul < 0 || lf < nul ? lf : nul;
  }

  #lengthDigits(chunk: Buffer, i: number, start: number): number {
    const n = chunk.length;
    while (i < n) {
      const c = chunk[i];
      if (c >= ZERO && c <= NINE) {
        if (++this.#digits > MAX_LENGTH_DIGITS) return this.#reject(`length field longer than ${MAX_LENGTH_DIGITS} digits`, start, i + 1);
        this.#length = this.#length * 10 + (c - ZERO);
        i++;
      } else if (c === SP) {
        if (this.#length > this.#max) return this.#reject(`frame length ${this.#length} exceeds ${this.#max}`, start, i + 1);
        this.#takeCarry(); // the digits were framing, not message
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
        this.#finishOctet(chunk.subarray(i, i + need)); // the common case: no copy
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
      this.#finishOctet(body);
    }
    return i + take;
  }

  /**
   * A counted body without its trailing terminator (rsyslog's templates end in LF; some senders
   * add NUL). A NUL ends a message on a stream whatever the framing, so a body with NULs inside
   * (a sender that counted two NUL-ended messages as one) gives one message per piece.
   */
  #finishOctet(body: Buffer): void {
    let nul = body.indexOf(NUL);
    if (nul >= 0 && nul < body.length - 1) {
      let from = 0;
      while (nul >= 0) {
        if (nul > from) this.#sink.frame(body.subarray(from, nul));
        from = nul + 1;
        nul = body.indexOf(NUL, from);
      }
      body = body.subarray(from);
    }
    let end = body.length;
    const last = body[end - 1];
    if (last === NUL) end--;
    else if (last === LF) {
      end--;
      if (end > 0 && body[end - 1] === CR) end--;
    }
    if (end > 0) this.#sink.frame(end === body.length ? body : body.subarray(0, end));
  }

  #line(chunk: Buffer, i: number, start: number): number {
    const n = chunk.length;
    const end = this.#terminator(chunk, i);
    if (end < 0) {
      // Give up as soon as the line cannot fit even after stripping a final CR, rather than
      // buffering an unbounded line from a peer that never sends a terminator.
      const total = this.#carryBytes + (n - start);
      if (total > this.#max && (total > this.#max + 1 || chunk[n - 1] !== CR)) {
        return this.#reject(`line longer than ${this.#max} bytes`, start, n);
      }
      return n; // push() carries the bytes over
    }
    const own = chunk.subarray(start, end);
    const line = this.#carryBytes === 0 ? own : Buffer.concat([...this.#takeCarry(), own]);
    this.#state = START;
    this.#finishLine(line, 1);
    return end + 1;
  }

  /** Emits a complete line: strips one CR, skips it if empty, refuses it if too long. */
  #finishLine(parts: Buffer | Buffer[], terminatorBytes: number): void {
    let line = Array.isArray(parts) ? Buffer.concat(parts) : parts;
    const received = line.length + terminatorBytes;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.#max) {
      this.discardedBytes += received;
      this.#sink.malformed(`line longer than ${this.#max} bytes`);
    } else if (line.length > 0) this.#sink.frame(line);
  }

  #takeCarry(): Buffer[] {
    const carry = this.#carry;
    this.#carry = [];
    this.#carryBytes = 0;
    return carry;
  }

  /**
   * Reports once and skips through the next LF or NUL (the earliest point a new frame can begin).
   * The bad frame's bytes so far (carried over, and in this chunk from `start` to `next`) count
   * as discarded, like everything skipped after them: the total is the same however the stream
   * was split.
   */
  #reject(reason: string, start: number, next: number): number {
    this.discardedBytes += this.#carryBytes + (next - start);
    this.#takeCarry();
    this.#state = DISCARD;
    this.#sink.malformed(reason);
    return next;
  }
}
