// RFC 5424 syslog messages: parsing what producers send, and the "cooked" form history stores.

import type { LogLine } from '../core/log-line.js';
import { fail, ok, type Parsed } from './result.js';

const SP = 0x20;
const DQUOTE = 0x22;
const DASH = 0x2d;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
const LT = 0x3c;
const EQUALS = 0x3d;
const GT = 0x3e;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const BOM = 0xfeff;

/**
 * Reads the `<PRI>` that opens every syslog message (shared with the RFC 3164 parser).
 * Returns the value 0–191, or -1 when absent or malformed. A leading zero (`<013>`) is refused
 * as RFC 5424 §6.2.1 requires; no real producer sends one, so refusing costs nothing.
 * The PRI's end is then `priEnd(pri)`: the value is canonical, so its width is implied.
 */
export function readPri(text: string): number {
  if (text.charCodeAt(0) !== LT) return -1;
  let value = 0;
  let i = 1;
  for (; i <= 4; i++) {
    const c = text.charCodeAt(i);
    if (c === GT) break;
    if (c < ZERO || c > NINE || i === 4) return -1;
    if (i === 2 && value === 0) return -1; // "<0" followed by another digit
    value = value * 10 + (c - ZERO);
  }
  if (i === 1 || value > 191) return -1;
  return value;
}

/** Index just past the `>` of a PRI that `readPri` accepted. */
export function priEnd(pri: number): number {
  return pri < 10 ? 3 : pri < 100 ? 4 : 5;
}

/**
 * End of the header token starting at `from`: the index of the SP that ends it, or
 * `text.length`. -1 when the token is empty (two spaces in a row) or holds a control
 * character — a newline is only legitimate inside MSG, so one in the header means the
 * framing upstream went wrong and the fields would be garbage.
 */
function tokenEnd(text: string, from: number): number {
  const n = text.length;
  let i = from;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === SP) break;
    if (c < 0x21) return -1;
    i++;
  }
  return i === from ? -1 : i;
}

/** True for the characters an SD-ID or PARAM-NAME may not contain (RFC 5424 §6.3.3). */
function isNameStop(c: number): boolean {
  return c <= SP || c === EQUALS || c === RBRACKET || c === DQUOTE;
}

/**
 * Scans STRUCTURED-DATA elements starting at the `[` at `from`. Returns the index just past the
 * last `]` when one or more well-formed elements follow and are themselves followed by SP or
 * the end of text; -1 otherwise, in which case the caller treats the text as MSG (Heroku's own
 * drain format has no SD, so `[INFO] started` there is a message, not a broken element).
 * Inside a quoted value a backslash escapes the next character (`\"`, `\\`, `\]`).
 */
function sdEnd(text: string, from: number): number {
  const n = text.length;
  let j = from;
  for (;;) {
    j++; // past '['
    const idStart = j;
    while (j < n && !isNameStop(text.charCodeAt(j))) j++;
    if (j === idStart) return -1;
    while (j < n && text.charCodeAt(j) === SP) {
      j++;
      const nameStart = j;
      while (j < n && !isNameStop(text.charCodeAt(j))) j++;
      if (j === nameStart || text.charCodeAt(j) !== EQUALS) return -1;
      if (text.charCodeAt(j + 1) !== DQUOTE) return -1;
      j += 2;
      for (;;) {
        if (j >= n) return -1;
        const c = text.charCodeAt(j);
        if (c === DQUOTE) break;
        j += c === BACKSLASH ? 2 : 1;
      }
      j++; // past closing quote
    }
    if (text.charCodeAt(j) !== RBRACKET) return -1;
    j++;
    if (j === n || text.charCodeAt(j) === SP) return j;
    if (text.charCodeAt(j) !== LBRACKET) return -1;
  }
}

/** MSG from `from` to the end, without a leading BOM (RFC 5424 §6.4 marks UTF-8 with one). */
function msgFrom(text: string, from: number): string {
  if (from >= text.length) return '';
  return text.charCodeAt(from) === BOM ? text.slice(from + 1) : text.slice(from);
}

/**
 * Parses `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`.
 *
 * Lenient where real producers deviate: a missing SD (Heroku's drain format) is read as `-`
 * with everything after MSGID as MSG; a message that stops after MSGID or SD has MSG ''.
 * Strict about the header: fields separated by exactly one SP, none empty, no control
 * characters. Field values are kept as sent (the timestamp is never reinterpreted) and a
 * trailing `\n` stays in MSG, because it is part of the message.
 */
export function parseRfc5424(text: string): Parsed<LogLine> {
  const pri = readPri(text);
  if (pri < 0) return fail('expected <PRI> with a value 0-191');
  return parseAfterPri(text, pri);
}

/** parseRfc5424 for a caller that has read the PRI already (`pri` = readPri(text) ≥ 0). */
export function parseAfterPri(text: string, pri: number): Parsed<LogLine> {
  let i = priEnd(pri);
  if (text.charCodeAt(i) !== ONE || text.charCodeAt(i + 1) !== SP) return fail('expected version 1');
  i += 2;
  // The usual header, checked in one native pass (a JS loop per character cost ~4× as much);
  // anything else takes the field-by-field path below, which also says what is wrong.
  HEADER.lastIndex = i;
  if (HEADER.test(text)) return fields(text, pri, i, HEADER.lastIndex);
  return fieldwise(text, pri, i);
}

/** parseAfterPri token by token from `i` (after `<PRI>1 `): the reference the fast path must equal. */
export function fieldwise(text: string, pri: number, i: number): Parsed<LogLine> {
  let e = tokenEnd(text, i);
  if (e < 0 || e === text.length) return fail('bad TIMESTAMP');
  const time = text.slice(i, e);
  i = e + 1;
  e = tokenEnd(text, i);
  if (e < 0 || e === text.length) return fail('bad HOSTNAME');
  const hostname = text.slice(i, e);
  i = e + 1;
  e = tokenEnd(text, i);
  if (e < 0 || e === text.length) return fail('bad APP-NAME');
  const source = text.slice(i, e);
  i = e + 1;
  e = tokenEnd(text, i);
  if (e < 0 || e === text.length) return fail('bad PROCID');
  const procid = text.slice(i, e);
  i = e + 1;
  e = tokenEnd(text, i);
  if (e < 0) return fail('bad MSGID');
  const msgid = text.slice(i, e);

  return ok(rest(text, pri, time, hostname, source, procid, msgid, e + 1));
}

/**
 * Five header tokens — TIMESTAMP HOSTNAME APP-NAME PROCID MSGID — of characters above SP,
 * separated by one SP each and followed by SP or the end: what `tokenEnd` accepts five times.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the header may not hold
const HEADER = /[^\x00-\x20]+ [^\x00-\x20]+ [^\x00-\x20]+ [^\x00-\x20]+ [^\x00-\x20]+(?= |$)/y;

/** The fields of a header HEADER matched from `from` to `end` (MSGID's end). */
function fields(text: string, pri: number, from: number, end: number): Parsed<LogLine> {
  let e = text.indexOf(' ', from);
  const time = text.slice(from, e);
  let i = e + 1;
  e = text.indexOf(' ', i);
  const hostname = text.slice(i, e);
  i = e + 1;
  e = text.indexOf(' ', i);
  const source = text.slice(i, e);
  i = e + 1;
  e = text.indexOf(' ', i);
  const procid = text.slice(i, e);
  return ok(rest(text, pri, time, hostname, source, procid, text.slice(e + 1, end), end + 1));
}

/** STRUCTURED-DATA and MSG from `i` (the first byte after MSGID's SP; may be past the end). */
function rest(text: string, pri: number, time: string, hostname: string, source: string, procid: string, msgid: string, i: number): LogLine {
  let e: number;
  let sd = '-';
  let msg: string;
  const c = text.charCodeAt(i); // NaN past the end, which matches nothing below
  if (c === DASH && (i + 1 === text.length || text.charCodeAt(i + 1) === SP)) {
    msg = msgFrom(text, i + 2);
  } else if (c === LBRACKET && (e = sdEnd(text, i)) > 0) {
    sd = text.slice(i, e);
    msg = msgFrom(text, e + 1);
  } else {
    msg = msgFrom(text, i);
  }
  return { pri, time, hostname, source, procid, msgid, sd, msg };
}

/**
 * The stored ("cooked") form: `<pri>1 time hostname source procid msgid sd msg`. When msg is ''
 * the line ends after SD with no trailing space, so the parser reads it back as msg ''; with a
 * space it would too, but the shorter form is canonical. `parseRfc5424(formatRfc5424(x))`
 * gives `x` back for every valid line: header fields non-empty without spaces or control
 * characters, sd `-` or well-formed elements, msg not starting with a BOM.
 */
export function formatRfc5424(line: LogLine): string {
  const head = `<${line.pri}>1 ${line.time} ${line.hostname} ${line.source} ${line.procid} ${line.msgid} ${line.sd}`;
  return line.msg === '' ? head : `${head} ${line.msg}`;
}
