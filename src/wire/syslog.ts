// One entry point for a syslog message of either dialect: picks RFC 5424 or RFC 3164 by its header.

import type { LogLine } from '../core/log-line.js';
import { parseRfc3164 } from './rfc3164.js';
import { parseAfterPri, priEnd, readPri } from './rfc5424.js';
import { fail, type Parsed } from './result.js';

const LT = 0x3c;
const ONE = 0x31;
const SP = 0x20;

/**
 * Parses one syslog message (a TCP/TLS frame or a UDP datagram, already decoded as UTF-8).
 *
 * `<PRI>1 ` — version 1 and a space — is RFC 5424; anything else after a PRI is RFC 3164,
 * whose timestamp starts with a month name and so can never look like a version. Text that
 * does not start with `<` is no syslog at all and is refused without further scanning.
 * `now` is only used for RFC 3164 (it has no year, and may have no timestamp); pass a function to
 * make the clock read lazy, so that RFC 5424 input (the common case) allocates no Date per line.
 */
export function parseSyslog(text: string, now: Date | (() => Date)): Parsed<LogLine> {
  if (text.charCodeAt(0) !== LT) return fail('expected <PRI> at the start');
  const pri = readPri(text);
  if (pri < 0) return fail('expected <PRI> with a value 0-191');
  const end = priEnd(pri);
  if (text.charCodeAt(end) === ONE && text.charCodeAt(end + 1) === SP) return parseAfterPri(text, pri);
  return parseRfc3164(text, typeof now === 'function' ? now() : now);
}
