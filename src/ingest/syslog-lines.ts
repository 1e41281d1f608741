// One syslog message from TCP, TLS or UDP: parse, keep every token out of it, route, count what is dropped.
import type { LogLine } from '../core/log-line.js';
import type { Router } from '../router/router.js';
import type { IngestEvents, Transport } from '../telemetry/catalogue.js';
import type { Logger } from '../telemetry/logger.js';
import { parseSyslog } from '../wire/syslog.js';
import { DropReport } from './drop-report.js';

/** A log token as text (`t.<uuid v4>`, lowercase as issued). */
const TOKEN_TEXT = /t\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const T = 0x74;
const DOT = 0x2e;

/**
 * Replaces every log token in `text`: a known one with that token's name (what its APP-NAME
 * becomes), any other token-shaped text with `t.[redacted]` (a revoked token, another
 * installation's, is still a credential somewhere). A token travels in APP-NAME and the router
 * replaces it there; this is for tokens anywhere else — a sender that glued two messages into
 * one frame (a wrong octet count) leaves the second message's token inside the first one's MSG,
 * and a token must never be stored or forwarded. `includes('t.')` keeps the common line to one
 * native scan.
 */
export function scrubTokens(text: string, resolve: (token: string) => { name: string } | undefined): string {
  if (!text.includes('t.')) return text;
  return text.replace(TOKEN_TEXT, (m) => resolve(m)?.name ?? 't.[redacted]');
}

/** scrubTokens over every free-text field of a parsed line (APP-NAME is the router's). */
export function scrubLine(line: LogLine, resolve: (token: string) => { name: string } | undefined): void {
  line.msg = scrubTokens(line.msg, resolve);
  line.hostname = scrubTokens(line.hostname, resolve);
  line.procid = scrubTokens(line.procid, resolve);
  line.msgid = scrubTokens(line.msgid, resolve);
  line.sd = scrubTokens(line.sd, resolve);
}

/** The server log's summary of lines dropped for an unknown token (never the token itself). */
export function unknownTokenReport(logger: Logger, intervalMs?: number): DropReport {
  return new DropReport(logger, {
    intervalMs,
    fields: { event: 'syslog_unknown_token' },
    describe: (count, seconds, address) =>
      `dropped ${count} syslog ${count === 1 ? 'line' : 'lines'} with unknown tokens in the last ${seconds} s from ${address}`,
  });
}

export interface SyslogLineHandler {
  /**
   * One message (a frame or a datagram without its terminator) as text, and its bytes when the
   * caller has them (drains may then copy instead of encoding); true when routed.
   */
  (text: string, now: Date | (() => Date), address: string, bytes?: Uint8Array): boolean;
}

/** The per-message path shared by the stream and datagram listeners of one transport. */
export function syslogLineHandler(router: Router, events: IngestEvents, transport: Transport, unknown: DropReport): SyslogLineHandler {
  const resolve = (t: string): { name: string } | undefined => router.resolve(t);
  return (text, now, address, bytes) => {
    const parsed = parseSyslog(text, now);
    if (!parsed.ok) {
      events.rejected(transport, 'malformed');
      return false;
    }
    const line = parsed.value;
    // The usual line has its token only in APP-NAME; a token anywhere else is rare and costs a lookup.
    const msg = line.msg;
    if (line.source.charCodeAt(0) === T && line.source.charCodeAt(1) === DOT) scrubLine(line, resolve);
    // A message a token was scrubbed out of is no longer its bytes: drains encode it afresh.
    if (router.routeByAppName(line, line.msg === msg ? bytes : undefined)) return true;
    events.rejected(transport, 'unknown_token');
    unknown.note(address);
    return false;
  };
}
