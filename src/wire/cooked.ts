// The cooked (stored) form of a line as UTF-8 bytes, copied from the frame the line came in when
// that frame can stand in for it. The bytes equal `Buffer.from(formatRfc5424(line))` (a property
// test holds the two byte-identical).
import type { LogLine } from '../core/log-line.js';
import { wireMsgStart, type Utf8Target } from './frame-writer.js';
import { priEnd } from './rfc5424.js';

const SP = 0x20;
const indexOf = Uint8Array.prototype.indexOf;

/**
 * How the cooked form of `line` comes from `frame`, the RFC 5424 frame it was parsed from with
 * the token still in APP-NAME: it is the frame with that field replaced by `line.source`. That
 * holds when the frame passes wireMsgStart (ASCII, MSG as parsed) and holds the fields exactly
 * as formatRfc5424 writes them: one SP between each, and SD present (Heroku's format leaves it
 * out, and the parser reads that as `-`). Returns where APP-NAME ends in the frame, or -1.
 */
export function cookedWireEnd(line: LogLine, frame: Uint8Array): number {
  if (line.msg === '') return -1; // the cooked form has no SP after SD then; the frame may
  const msgStart = wireMsgStart(line, frame);
  if (msgStart < 0) return -1;
  const hostEnd = sourceStart(line) - 1;
  if (frame[hostEnd] !== SP) return -1;
  const sourceEnd = msgStart - (line.procid.length + line.msgid.length + line.sd.length + 4); // ` PROCID MSGID SD `
  if (sourceEnd <= hostEnd + 1 || frame[sourceEnd] !== SP || frame[msgStart - line.sd.length - 2] !== SP || frame[msgStart - 1] !== SP) return -1;
  // APP-NAME must end at the first SP after it starts, so PROCID, MSGID and SD are the parsed ones.
  // (Uint8Array's indexOf: Buffer's own, which also takes strings, cost as much as the copies.)
  return indexOf.call(frame, SP, hostEnd + 1) === sourceEnd ? sourceEnd : -1;
}

/** Where SOURCE starts in the cooked form (and APP-NAME in the frame): after `<PRI>1 TIME HOST `. */
function sourceStart(line: LogLine): number {
  return priEnd(line.pri) + 2 + line.time.length + 1 + line.hostname.length + 1;
}

/**
 * At least the cooked form's size in bytes when copied from `frame` (`sourceEnd`: cookedWireEnd's
 * answer): SOURCE is counted at 3 bytes per UTF-16 unit, which spares a byteLength per line.
 */
export function cookedWireBound(line: LogLine, frame: Uint8Array, sourceEnd: number): number {
  return sourceStart(line) + 3 * line.source.length + frame.length - sourceEnd;
}

/** Writes the cooked form copied from `frame` at `out[at]` (cookedWireBound bytes must be free); returns its size. */
export function writeCookedWire(line: LogLine, frame: Uint8Array, sourceEnd: number, out: Buffer, at: number): number {
  const start = sourceStart(line);
  out.set(new Uint8Array(frame.buffer, frame.byteOffset, start), at);
  let o = at + start;
  o += (out as Utf8Target).utf8Write(line.source, o);
  out.set(new Uint8Array(frame.buffer, frame.byteOffset + sourceEnd, frame.length - sourceEnd), o);
  return o + frame.length - sourceEnd - at;
}
