// Router (load balancer) logs: nginx `access_log syslog:` datagrams on their own UDP port,
// authenticated by a shared secret, turned into Heroku router lines in the log of the app that
// owns the request's Host (SPEC §3.3; the log_format is in docs/sources.md).
//
// nginx's syslog TAG allows only [A-Za-z0-9_], so a `t.…` token cannot travel where the syslog
// input expects it; instead the whole port is the router's, and every line starts with the
// secret, compared in constant time. The message after the secret is `key="value"` pairs in any
// order (nginx's default escaping turns `"` into \x22, so a quoted value cannot end early).
import dgram from 'node:dgram';
import type { LogLine } from '../core/log-line.js';
import { safeEqual } from '../core/secret.js';
import type { Router } from '../router/router.js';
import type { ConfigStore } from '../store/contract.js';
import type { Metrics } from '../telemetry/metrics.js';
import { parseSyslog } from '../wire/syslog.js';

/** local3.info, the PRI of Heroku's router lines as drains see them (`<158>1 … heroku router`). */
export const ROUTER_PRI = 158;

export type RouterDrop = 'bad_secret' | 'unknown_host' | 'malformed' | 'too_large' | 'rate_limited';

export interface RouterLogEvents {
  routed(): void;
  dropped(reason: RouterDrop): void;
}

/** `sluice_router_lines_total{result}`: routed, or the reason a line was dropped. */
export function routerLogEvents(m: Metrics): RouterLogEvents {
  const c = m.counter('sluice_router_lines_total', 'Router (nginx) log lines received, by result: routed or the reason they were dropped.');
  return { routed: () => c({ result: 'routed' }), dropped: (reason) => c({ result: reason }) };
}

export interface RouterFields {
  secret: string;
  fields: Map<string, string>;
}

/**
 * `SECRET key="value" key=value …` → the secret and the fields. A quoted value runs to the next
 * `"`; an unterminated one (nginx truncates long syslog messages) runs to the end.
 */
export function parseRouterMessage(msg: string): RouterFields | undefined {
  const n = msg.length;
  let i = msg.indexOf(' ');
  if (i <= 0) return undefined;
  const secret = msg.slice(0, i);
  const fields = new Map<string, string>();
  while (i < n) {
    while (i < n && msg.charCodeAt(i) === 0x20) i++;
    if (i >= n) break;
    const eq = msg.indexOf('=', i);
    if (eq < 0) break;
    const key = msg.slice(i, eq);
    if (key.includes(' ')) return undefined;
    let value: string;
    if (msg.charCodeAt(eq + 1) === 0x22) {
      const close = msg.indexOf('"', eq + 2);
      value = msg.slice(eq + 2, close < 0 ? n : close);
      i = close < 0 ? n : close + 1;
    } else {
      const sp = msg.indexOf(' ', eq + 1);
      value = msg.slice(eq + 1, sp < 0 ? n : sp);
      i = sp < 0 ? n : sp;
    }
    fields.set(key, value);
  }
  return { secret, fields };
}

/** nginx times are seconds (`0.012`); several upstream tries read `0.001, 0.002` or `0.001 : 0.002`. */
function millis(v: string | undefined): number | undefined {
  if (!v || v === '-') return undefined;
  let total = 0;
  let any = false;
  for (const part of v.split(/[,:]/)) {
    const x = Number(part.trim());
    if (part.trim() !== '' && Number.isFinite(x)) {
      total += x;
      any = true;
    }
  }
  return any ? Math.round(total * 1000) : undefined;
}

const val = (f: Map<string, string>, k: string): string => {
  const v = f.get(k);
  return v === undefined || v === '-' ? '' : v;
};

/** The request's Host as the domains API stores it: lowercase, no port, no trailing dot. */
export function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (!h.startsWith('[')) {
    const colon = h.indexOf(':');
    if (colon >= 0) h = h.slice(0, colon);
  }
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * Heroku's router line, fields in Heroku's order:
 * `at=info method=GET path="/" host=… request_id=… fwd="…" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https`.
 * `connect` is empty when no upstream was contacted (as in Heroku's error lines); `service` is
 * the upstream's response time less the connect time, or nginx's own request time without one.
 */
export function formatRouterLine(f: Map<string, string>): string {
  const connect = millis(f.get('connect'));
  const upstream = millis(f.get('upstream_time'));
  const service = upstream !== undefined ? Math.max(0, upstream - (connect ?? 0)) : millis(f.get('request_time'));
  return (
    `at=info method=${val(f, 'method')} path="${val(f, 'path')}" host=${val(f, 'host')} request_id=${val(f, 'request_id')}` +
    ` fwd="${val(f, 'fwd')}" dyno=${val(f, 'dyno')} connect=${connect === undefined ? '' : `${connect}ms`}` +
    ` service=${service === undefined ? '' : `${service}ms`} status=${val(f, 'status')} bytes=${val(f, 'bytes')} protocol=${val(f, 'protocol')}`
  );
}

/** `$msec` (`1700000000.123`) → `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`; undefined when absent or bad. */
function msecTime(v: string | undefined): string | undefined {
  const x = v === undefined ? NaN : Number(v);
  if (!Number.isFinite(x) || x <= 0) return undefined;
  return `${new Date(Math.round(x * 1000)).toISOString().slice(0, 23)}000+00:00`;
}

export interface RouterLogOptions {
  secret: string;
  maxMessageBytes: number;
}

export function createRouterLogSocket(router: Router, store: ConfigStore, events: RouterLogEvents, opts: RouterLogOptions): dgram.Socket {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  socket.on('message', (datagram) => {
    let end = datagram.length;
    if (end > 0 && datagram[end - 1] === 0x0a) end--;
    if (end === 0) return;
    if (end > opts.maxMessageBytes) return events.dropped('too_large');
    const now = new Date();
    const parsed = parseSyslog(datagram.toString('utf8', 0, end), now);
    if (!parsed.ok) return events.dropped('malformed');
    const msg = parseRouterMessage(parsed.value.msg);
    // Never say more than "wrong secret": the line may hold a guess at it.
    if (!msg || !safeEqual(msg.secret, opts.secret)) return events.dropped('bad_secret');
    const host = msg.fields.get('host');
    if (!host) return events.dropped('malformed');
    const owner = store.domainOwner(normaliseHost(host));
    if (!owner) return events.dropped('unknown_host');
    if (!router.limiter.admit(owner.app_id, 1)) return events.dropped('rate_limited');
    const line: LogLine = {
      pri: ROUTER_PRI,
      time: msecTime(msg.fields.get('msec')) ?? parsed.value.time,
      hostname: parsed.value.hostname,
      source: 'heroku',
      procid: 'router',
      msgid: '-',
      sd: '-',
      msg: formatRouterLine(msg.fields),
    };
    router.publish(owner.app_id, line);
    events.routed();
  });
  socket.on('error', () => {
    /* a bad datagram never takes the socket down; bind errors surface through bind() */
  });
  return socket;
}
