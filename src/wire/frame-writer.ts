// Drain frames as bytes, built in two steps so that a line bound for several drains is encoded
// once: `prepareLine` UTF-8-encodes what every drain of one layout shares, `writeFrame` adds the
// per-drain HOSTNAME and the octet count by copying. The bytes equal
// `octetFrame(format…DrainMessage(line))` (drain-format.ts stays the reference; a property test
// holds the two byte-identical).

import type { LogLine } from '../core/log-line.js';

const SP = 0x20;
const ZERO = 0x30;
const LF = 0x0a;

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
  /** `SOURCE PROCID{tail}MSG\n`. */
  rest: Uint8Array;
}

/**
 * `Buffer#utf8Write(string, offset)`: what `buf.write(string, offset, 'utf8')` calls after
 * normalising its arguments, which costs as much as the copy for fields this short.
 */
type Utf8Target = Buffer & { utf8Write(text: string, offset: number): number };

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
  return { head: new Uint8Array(b.buffer, b.byteOffset, split), rest: new Uint8Array(b.buffer, b.byteOffset + split, end - split) };
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : String(n).length;
}

/** Bytes `writeFrame` writes for this line and host. */
export function frameSize(p: PreparedLine, host: Uint8Array): number {
  const len = p.head.length + p.rest.length + host.length;
  return digits(len) + 1 + len;
}

/** Writes `<LEN> <PRI>1 TIME{host}REST` at `buf[at]`; `frameSize` bytes must be free there. */
export function writeFrame(p: PreparedLine, host: Uint8Array, buf: Uint8Array, at: number): void {
  const len = p.head.length + p.rest.length + host.length;
  const width = digits(len);
  for (let i = at + width - 1, n = len; i >= at; i--, n = Math.floor(n / 10)) buf[i] = ZERO + (n % 10);
  let o = at + width;
  buf[o++] = SP;
  buf.set(p.head, o);
  o += p.head.length;
  buf.set(host, o);
  buf.set(p.rest, o + host.length);
}

/** One whole frame (L10 lines, test messages). */
export function encodeFrame(line: LogLine, layout: FrameLayout): Buffer {
  const p = prepareLine(line, layout.tailText);
  const b = Buffer.allocUnsafe(frameSize(p, layout.host));
  writeFrame(p, layout.host, b, 0);
  return b;
}
