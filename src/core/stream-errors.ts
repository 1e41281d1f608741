// The lines Sluice writes into streams about itself: L10, L11, L14, L15 (SPEC §4.4).
import { formatSecondTime, formatSluiceTime } from './clock.js';
import type { LogLine } from './log-line.js';

/** local5.warning, Logplex's PRI for its own error lines. */
export const LOGPLEX_PRI = 172;

function logplexLine(msg: string, hostname = 'sluice'): LogLine {
  return {
    pri: LOGPLEX_PRI,
    time: formatSluiceTime(),
    hostname,
    source: 'heroku',
    procid: 'logplex',
    msgid: '-',
    sd: '-',
    msg,
  };
}

export const l10 = (dropped: number, since: Date): LogLine =>
  logplexLine(`Error L10 (output buffer overflow): ${dropped} messages dropped since ${formatSecondTime(since)}.`);

export const l11 = (dropped: number, since: Date): LogLine =>
  logplexLine(
    `Error L11 (Tail buffer overflow) -> This tail session dropped ${dropped} messages since ${formatSecondTime(since)}.`,
  );

/** `uri` must already have its secrets removed. */
export const l14 = (reason: string, uri: string): LogLine =>
  logplexLine(`Error L14 (certificate validation): error="${reason}" uri="${uri}"`);

export const l15 = (): LogLine => logplexLine('Error L15 (Tail buffer temporarily unavailable)');

/** A line the platform writes into an app's log (SPEC §3.3): source `heroku`, PROCID given. */
export function platformLine(procid: string, msg: string): LogLine {
  return { pri: 134, time: formatSluiceTime(), hostname: 'sluice', source: 'heroku', procid, msgid: '-', sd: '-', msg };
}
