// What drains send (SPEC §4.1/§4.2): the Heroku message layouts for HTTP and syslog drains.

import type { LogLine } from '../core/log-line.js';
import { encodeFrame } from './logplex1.js';

const LF = 0x0a;

/** `\n` unless msg already ends in one: every drained message ends in exactly one newline. */
function terminator(msg: string): string {
  return msg.charCodeAt(msg.length - 1) === LF ? '' : '\n';
}

/**
 * One message of an HTTPS/HTTP drain body: `<PRI>1 <TIME> host <SOURCE> <PROCID> - <MSG>\n`.
 * HOSTNAME is the literal `host` and there is no STRUCTURED-DATA field at all, not even `-`:
 * that is Heroku's documented `application/logplex-1` layout and receivers parse exactly it.
 * The line's own HOSTNAME, MSGID and SD are not forwarded.
 */
export function formatHttpDrainMessage(line: LogLine): string {
  return `<${line.pri}>1 ${line.time} host ${line.source} ${line.procid} - ${line.msg}${terminator(line.msg)}`;
}

/**
 * One message of a syslog drain: `<PRI>1 <TIME> <drainToken> <SOURCE> <PROCID> - - <MSG>\n`.
 * The drain token (`d.<uuid>`) is the HOSTNAME so every line proves which drain sent it;
 * MSGID and SD are both `-`, which keeps the message valid RFC 5424. TCP/TLS frame it with
 * `octetFrame`; UDP sends it bare, one per datagram.
 */
export function formatSyslogDrainMessage(line: LogLine, drainToken: string): string {
  return `<${line.pri}>1 ${line.time} ${drainToken} ${line.source} ${line.procid} - - ${line.msg}${terminator(line.msg)}`;
}

/** RFC 6587 octet counting, `<LEN> <MSG>` with LEN in UTF-8 bytes: the same as logplex-1 frames. */
export const octetFrame: (msg: string) => string = encodeFrame;
