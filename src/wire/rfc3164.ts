// RFC 3164 ("BSD") syslog as nginx, rsyslog and `logger --rfc3164` send it, turned into a LogLine.

import type { LogLine } from '../core/log-line.js';
import { formatSluiceTime } from '../core/clock.js';
import { priEnd, readPri } from './rfc5424.js';
import { fail, ok, type Parsed } from './result.js';

const SP = 0x20;
const DASH = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const T = 0x54;
const DAY_MS = 86_400_000;

// Three-letter month names at offsets 0, 3, 6, …; indexOf on a constant beats a map lookup.
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

function digitAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= ZERO && c <= NINE ? c - ZERO : -1;
}

/** Two digits at i as a number, or -1. */
function twoDigits(text: string, i: number): number {
  const a = digitAt(text, i);
  const b = digitAt(text, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 1) return DAYS_IN_MONTH[month];
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

interface Stamp {
  time: string;
  /** Index just past the timestamp and its following SP (or the end of text). */
  next: number;
}

/**
 * Reads `Mmm dd hh:mm:ss` at i (day space-padded `Nov  1` as RFC 3164 says, or unpadded
 * `Nov 1` as some senders write it). RFC 3164 has no year and no zone: the time is read as
 * UTC in the year of `now`, or the previous year if that would put it more than a day ahead
 * of `now` (a December line arriving in January). Returns null when there is no such
 * timestamp, or a string reason when it looks like one but names an impossible date.
 */
function readBsdStamp(text: string, i: number, now: Date): Stamp | string | null {
  const month = MONTHS.indexOf(text.slice(i, i + 3));
  if (month < 0 || month % 3 !== 0 || text.charCodeAt(i + 3) !== SP) return null;
  let j = i + 4;
  if (text.charCodeAt(j) === SP) j++;
  let day = digitAt(text, j);
  if (day < 0) return null;
  j++;
  const d2 = digitAt(text, j);
  if (d2 >= 0) {
    day = day * 10 + d2;
    j++;
  }
  if (text.charCodeAt(j) !== SP) return null;
  const hh = twoDigits(text, j + 1);
  const mm = twoDigits(text, j + 4);
  const ss = twoDigits(text, j + 7);
  if (hh < 0 || mm < 0 || ss < 0 || text.charCodeAt(j + 3) !== COLON || text.charCodeAt(j + 6) !== COLON) {
    return null;
  }
  j += 9;
  if (j < text.length && text.charCodeAt(j) !== SP) return null;
  const m = month / 3;
  if (day < 1 || hh > 23 || mm > 59 || ss > 59) return 'impossible timestamp';
  let year = now.getUTCFullYear();
  if (Date.UTC(year, m, day, hh, mm, ss) > now.getTime() + DAY_MS) year--;
  if (day > daysInMonth(year, m)) return 'impossible timestamp';
  const time = `${year}-${pad2(m + 1)}-${pad2(day)}T${pad2(hh)}:${pad2(mm)}:${pad2(ss)}.000000+00:00`;
  return { time, next: j + 1 };
}

/**
 * rsyslog's forwarding templates put an RFC 3339 timestamp where RFC 3164 has `Mmm dd …`.
 * It already carries year and zone, so it is kept as sent (SPEC §4: timestamps pass through).
 */
function readIsoStamp(text: string, i: number): Stamp | null {
  if (twoDigits(text, i) < 0 || twoDigits(text, i + 2) < 0 || text.charCodeAt(i + 4) !== DASH) return null;
  if (text.charCodeAt(i + 10) !== T) return null;
  let j = text.indexOf(' ', i);
  if (j < 0) j = text.length;
  return { time: text.slice(i, j), next: j + 1 };
}

/**
 * Parses `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[pid]: MSG` into a LogLine (SPEC §3.2): PRI kept,
 * timestamp rewritten as `YYYY-MM-DDTHH:MM:SS.000000+00:00` (or `now` when absent), TAG as
 * APP-NAME, `[pid]` as PROCID (`-` when absent), MSGID and SD `-`, the rest MSG with the one
 * space after the colon removed.
 *
 * HOSTNAME is optional (nginx and `logger` to a local socket leave it out): the first token
 * is taken as the TAG when it ends in `:` or carries a `[pid]`, or when it is the only token.
 * The colon after TAG is optional too; a SP ends the TAG just as well.
 */
export function parseRfc3164(text: string, now: Date): Parsed<LogLine> {
  const pri = readPri(text);
  if (pri < 0) return fail('expected <PRI> with a value 0-191');
  let i = priEnd(pri);
  const n = text.length;

  let time: string;
  const stamp = readBsdStamp(text, i, now) ?? readIsoStamp(text, i);
  if (typeof stamp === 'string') return fail(stamp);
  if (stamp === null) time = formatSluiceTime(now);
  else {
    time = stamp.time;
    i = stamp.next;
  }

  // HOSTNAME, unless the first token is recognisably the TAG.
  let hostname = '-';
  let sp = text.indexOf(' ', i);
  if (sp < 0) sp = n;
  const first = text.slice(i, sp);
  const bracket = first.indexOf('[');
  const isTag = sp === n || first.endsWith(':') || bracket > 0;
  if (!isTag) {
    if (first === '') return fail('empty HOSTNAME');
    hostname = first;
    i = sp + 1;
  }

  // TAG runs to the first SP, '[' or ':'.
  const tagStart = i;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === SP || c === LBRACKET || c === COLON) break;
    if (c < 0x21) return fail('control character in TAG');
    i++;
  }
  const source = i > tagStart ? text.slice(tagStart, i) : '-';
  let procid = '-';
  if (text.charCodeAt(i) === LBRACKET) {
    const close = text.indexOf(']', i);
    const space = text.indexOf(' ', i);
    if (close < 0 || (space >= 0 && space < close)) return fail('unterminated [pid] in TAG');
    if (close > i + 1) procid = text.slice(i + 1, close);
    i = close + 1;
  }
  if (text.charCodeAt(i) === COLON) i++;
  if (text.charCodeAt(i) === SP) i++;
  const msg = i < n ? text.slice(i) : '';
  return ok({ pri, time, hostname, source, procid, msgid: '-', sd: '-', msg });
}
