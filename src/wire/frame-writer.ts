// Drain frames as bytes, built in two steps so that a line bound for several drains is encoded
// once: `prepareLine` UTF-8-encodes what every drain of one layout shares, `writeFrame` adds the
// per-drain HOSTNAME and the octet count by copying. The bytes equal
// `octetFrame(format…DrainMessage(line))` (drain-format.ts stays the reference; a property test
// holds the two byte-identical).

import { isAscii } from 'node:buffer';
import type { LogLine } from '../core/log-line.js';
import { priEnd } from './rfc5424.js';

const SP = 0x20;
const ZERO = 0x30;
const LF = 0x0a;
const ONE = 0x31;

/**
 * One drain's message layout, `<PRI>1 TIME{host}SOURCE PROCID{tail}MSG\n`: HTTP drains use
 * ` host ` and ` - ` (or ` - - ` for strict RFC 5424); syslog drains ` d.<token> ` and ` - - `.
 */
export interface FrameLayout {
  hostText: string;
  tailText: string;
  /** `hostText` as UTF-8, copied into every frame. */
  host: Buffer;
}

export function frameLayout(host: string, tail: string): FrameLayout {
  return { hostText: host, tailText: tail, host: Buffer.from(host, 'utf8') };
}

/** A line encoded for every layout with the same `tailText`: `<PRI>1 TIME` and the rest. */
export interface PreparedLine {
  /** `<PRI>1 TIME`. */
  head: Uint8Array;
  /** `SOURCE PROCID{tail}`, or (when `msg` is empty) `SOURCE PROCID{tail}MSG\n` whole. */
  mid: Uint8Array;
  /** MSG's bytes, a view of the frame the line came in (`prepareWire`); else empty. */
  msg: Uint8Array;
  /** 1 when a `\n` follows `msg`. */
  nl: number;
  /**
   * The first frame written for this line — where (`writtenBuf` at `writtenAt`, HOSTNAME at
   * `writtenHostAt`; as long as the next drain's frame when their HOSTNAMEs are) and its HOSTNAME's length: the next drain whose
   * HOSTNAME is as long copies it whole and writes only its own HOSTNAME over it
   * (`writeFrameLike`). A view of it is made only then (`written`): one drain pays nothing.
   * Valid during the line's delivery only.
   */
  writtenBuf: Uint8Array | undefined;
  writtenAt: number;
  writtenHost: number;
  writtenHostAt: number;
  written: Uint8Array | undefined;
}

const EMPTY = new Uint8Array(0);

/**
 * A PreparedLine with nothing written yet. The fields are spelled out rather than spread from a
 * constant: a spread took half of prepareWire's time in the syslog → syslog profile.
 */
function prepared(head: Uint8Array, mid: Uint8Array, msg: Uint8Array, nl: number): PreparedLine {
  return { head, mid, msg, nl, writtenBuf: undefined, writtenAt: 0, writtenHost: -1, writtenHostAt: 0, written: undefined };
}

/**
 * `Buffer#utf8Write(string, offset)`: what `buf.write(string, offset, 'utf8')` calls after
 * normalising its arguments, which costs as much as the copy for fields this short.
 */
export type Utf8Target = Buffer & { utf8Write(text: string, offset: number): number };

export function prepareLine(line: LogLine, tailText: string): PreparedLine {
  const nl = line.msg.charCodeAt(line.msg.length - 1) === LF ? '' : '\n';
  const head = `<${line.pri}>1 ${line.time}`;
  const rest = `${line.source} ${line.procid}${tailText}${line.msg}${nl}`;
  // UTF-16 length × 3 bounds the UTF-8 bytes; small buffers come from Node's shared pool.
  const b = Buffer.allocUnsafe(3 * (head.length + rest.length)) as Utf8Target;
  const split = b.utf8Write(head, 0);
  const end = split + b.utf8Write(rest, split);
  // Plain Uint8Array views: `set` copies them with V8's own memmove, where Buffer#copy goes
  // through argument checks and a binding call (2–3× the time per frame; a fan-out pays it per drain).
  return prepared(new Uint8Array(b.buffer, b.byteOffset, split), new Uint8Array(b.buffer, b.byteOffset + split, end - split), EMPTY, 0);
}

/**
 * The RFC 5424 frame a line was parsed from, when its bytes can stand in for the line's own
 * fields: ASCII (string offsets are byte offsets), `<PRI>1 ` (the RFC 5424 parser, which keeps
 * PRI and TIMESTAMP as sent), and MSG untouched since parsing (ingest passes no frame when a
 * token was scrubbed out of it). Then `<PRI>1 TIME` is the frame's start and MSG its end.
 * Returns where MSG starts, or -1 when the frame cannot be used.
 */
export function wireMsgStart(line: LogLine, frame: Uint8Array): number {
  const headEnd = priEnd(line.pri) + 2 + line.time.length;
  const msgStart = frame.length - line.msg.length;
  if (msgStart <= headEnd || frame[headEnd] !== SP || frame[headEnd - line.time.length - 2] !== ONE || !isAscii(frame)) return -1;
  return msgStart;
}

/**
 * prepareLine from the bytes the line arrived in (see wireMsgStart; `msgStart` is its answer):
 * head and MSG are views of the frame, copied by `writeFrame` without being encoded again, and
 * `mid` (`SOURCE PROCID{tail}`, the same for a whole connection's lines) comes from `cache`.
 * The views are valid only while the frame is (the synchronous delivery of the line).
 */
export function prepareWire(line: LogLine, frame: Uint8Array, msgStart: number, tailText: string, cache: MidCache): PreparedLine {
  const headEnd = priEnd(line.pri) + 2 + line.time.length;
  if (line.source !== cache.source || line.procid !== cache.procid) {
    cache.source = line.source;
    cache.procid = line.procid;
    cache.mid = Buffer.from(`${line.source} ${line.procid}${tailText}`, 'utf8');
  }
  const off = frame.byteOffset;
  return prepared(new Uint8Array(frame.buffer, off, headEnd), cache.mid, new Uint8Array(frame.buffer, off + msgStart, frame.length - msgStart), frame[frame.length - 1] === LF ? 0 : 1);
}

/** The last `SOURCE PROCID{tail}` an encoder wrote, as bytes. */
export interface MidCache {
  source: string;
  procid: string;
  mid: Uint8Array;
}

export const newMidCache = (): MidCache => ({ source: '', procid: '', mid: EMPTY });

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : String(n).length;
}

/** Bytes `writeFrame` writes for this line and host. */
export function frameSize(p: PreparedLine, host: Uint8Array): number {
  const len = p.head.length + host.length + p.mid.length + p.msg.length + p.nl;
  return digits(len) + 1 + len;
}

/** Writes `<LEN> <PRI>1 TIME{host}REST` at `buf[at]`; `frameSize` bytes must be free there. */
export function writeFrame(p: PreparedLine, host: Uint8Array, buf: Uint8Array, at: number): void {
  const len = p.head.length + host.length + p.mid.length + p.msg.length + p.nl;
  const width = digits(len);
  for (let i = at + width - 1, n = len; i >= at; i--, n = Math.floor(n / 10)) buf[i] = ZERO + (n % 10);
  let o = at + width;
  buf[o++] = SP;
  buf.set(p.head, o);
  o += p.head.length;
  buf.set(host, o);
  o += host.length;
  buf.set(p.mid, o);
  o += p.mid.length;
  if (p.msg.length > 0) {
    buf.set(p.msg, o);
    o += p.msg.length;
  }
  if (p.nl === 1) buf[o] = LF;
}

/**
 * writeFrame for the second and later drains of a line (a fan-out): when a frame of this line
 * with a HOSTNAME of the same length was written already, that frame is copied whole and this
 * drain's HOSTNAME written over it — two copies instead of five, and no length digits.
 */
export function writeFrameLike(p: PreparedLine, host: Uint8Array, buf: Uint8Array, at: number, size: number): void {
  const wb = p.writtenBuf;
  if (wb !== undefined && p.writtenHost === host.length) {
    const w = (p.written ??= new Uint8Array(wb.buffer, wb.byteOffset + p.writtenAt, size));
    buf.set(w, at);
    buf.set(host, at + p.writtenHostAt);
    return;
  }
  writeFrame(p, host, buf, at);
  p.writtenBuf = buf;
  p.writtenAt = at;
  p.writtenHost = host.length;
  p.writtenHostAt = size - (p.head.length + host.length + p.mid.length + p.msg.length + p.nl) + p.head.length; // `<LEN> ` + head
  p.written = undefined;
}

/** One whole frame (L10 lines, test messages). */
export function encodeFrame(line: LogLine, layout: FrameLayout): Buffer {
  const p = prepareLine(line, layout.tailText);
  const b = Buffer.allocUnsafe(frameSize(p, layout.host));
  writeFrame(p, layout.host, b, 0);
  return b;
}
