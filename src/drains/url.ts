// Drain URL validation (SPEC §5, §10): known schemes, a host, and no link-local or (optionally) private targets.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** `otlphttp` and `otlp` (gRPC) are telemetry drains: chosen by their record, never by a URL scheme. */
export type DrainKind = 'syslog' | 'syslog+tls' | 'syslog+udp' | 'http' | 'https' | 'otlphttp' | 'otlp';

export interface DrainUrlPolicy {
  /** Refuse loopback and private ranges too (production; `--deny-private-drains`). */
  denyPrivate: boolean;
  /** Resolve host names to check their addresses (off in tests that use fake names). */
  resolve?: boolean;
}

export type DrainUrlCheck = { ok: true; url: string; kind: DrainKind } | { ok: false; reason: string };

/** Logplex's scheme aliases, mapped to the one name Sluice uses. */
const SCHEMES: Record<string, DrainKind> = {
  'syslog:': 'syslog',
  'tcpsyslog:': 'syslog',
  'syslog+tcp:': 'syslog',
  'syslog+tls:': 'syslog+tls',
  'syslog+udp:': 'syslog+udp',
  'udpsyslog:': 'syslog+udp',
  'http:': 'http',
  'https:': 'https',
};

export async function validateDrainUrl(raw: string, policy: DrainUrlPolicy): Promise<DrainUrlCheck> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL (expected e.g. syslog+tls://logs.example.com:6514 or https://…)' };
  }
  const kind = SCHEMES[u.protocol];
  if (!kind) {
    return { ok: false, reason: `unsupported scheme "${u.protocol.slice(0, -1)}" (use syslog, syslog+tls, syslog+udp, http or https)` };
  }
  if (!u.hostname) return { ok: false, reason: 'the URL has no host' };
  if (kind.startsWith('syslog') && (u.username || u.password)) {
    return { ok: false, reason: 'syslog drains cannot carry a user or password' };
  }
  if (u.hash && u.hash !== '#insecure') return { ok: false, reason: `unknown fragment "${u.hash}" (only #insecure is understood)` };
  if (u.hash && kind !== 'syslog+tls' && kind !== 'https') {
    return { ok: false, reason: '#insecure only applies to syslog+tls:// and https:// drains' };
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : policy.resolve === false ? [] : await resolveAll(host);
  for (const a of addresses) {
    const reason = addressRefusal(host, a, policy.denyPrivate);
    if (reason) return { ok: false, reason };
  }
  return { ok: true, url: raw, kind };
}

/** Why a drain may not be dialled at `address` (one of `host`'s), or undefined when it may. */
export function addressRefusal(host: string, address: string, denyPrivate: boolean): string | undefined {
  if (isLinkLocal(address)) return `${host} is a link-local address (${address}); drains to it are never allowed`;
  if (denyPrivate && isPrivate(address)) return `${host} is a loopback or private address (${address}); this server denies private drains`;
  return undefined;
}

async function resolveAll(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((r) => r.address);
  } catch {
    return []; // an unresolvable name is allowed: DNS may change; delivery reports the error
  }
}

function v4(a: string): number[] | undefined {
  const m = a.startsWith('::ffff:') ? a.slice(7) : a;
  const parts = m.split('.').map(Number);
  return parts.length === 4 && parts.every((n) => Number.isInteger(n) && n >= 0 && n <= 255) ? parts : undefined;
}

export function isLinkLocal(a: string): boolean {
  const p = v4(a);
  if (p) return p[0] === 169 && p[1] === 254;
  return /^fe[89ab]/i.test(a);
}

export function isPrivate(a: string): boolean {
  const p = v4(a);
  if (p) {
    return (
      p[0] === 127 || p[0] === 10 || p[0] === 0 ||
      (p[0] === 172 && p[1] >= 16 && p[1] <= 31) ||
      (p[0] === 192 && p[1] === 168) ||
      (p[0] === 100 && p[1] >= 64 && p[1] <= 127)
    );
  }
  const l = a.toLowerCase();
  return l === '::1' || l === '::' || /^f[cd]/.test(l);
}

/** The kind of a drain URL by its scheme, or undefined for anything Sluice cannot deliver to. */
export function drainKindOf(raw: string): DrainKind | undefined {
  try {
    return SCHEMES[new URL(raw).protocol];
  } catch {
    return undefined;
  }
}
