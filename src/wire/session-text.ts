// The human-readable form of a line that log sessions and tails stream (`heroku logs` output).

import type { LogLine } from '../core/log-line.js';

const LF = 0x0a;

/**
 * `<TIME> <SOURCE>[<PROCID>]: <MSG>\n` (SPEC §4.3), or `<TIME> <SOURCE>: <MSG>\n` when PROCID is
 * `-`. The newline terminates the record, so a MSG that already ends in one gets no second:
 * producers that log `"…\n"` must not show up double-spaced in a tail.
 */
export function formatSessionLine(line: LogLine): string {
  const who = line.procid === '-' ? line.source : `${line.source}[${line.procid}]`;
  const nl = line.msg.charCodeAt(line.msg.length - 1) === LF ? '' : '\n';
  return `${line.time} ${who}: ${line.msg}${nl}`;
}
