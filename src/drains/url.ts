// Drain URL validation: known schemes, a host, no link-local or (optionally) private targets in any
// spelling of an address, and never one of this server's own listeners (a loop).
import { networkInterfaces } from 'node:os';
import { addressRefusal, parseAddress } from './address-policy.js';
import { drainResolver } from './resolver.js';

export { addressRefusal } from './address-policy.js';

export type DrainKind = 'syslog' | 'syslog+tls' | 'syslog+udp' | 'http' | 'https';

export interface DrainUrlPolicy {
  /** Refuse loopback and private ranges too (production; `--deny-private-drains`). */
  denyPrivate: boolean;
  /** Resolve host names to check their addresses (off in tests that use fake names). */
  resolve?: boolean;
  /** This server's listeners, refused as targets (loops). */
  self?: SelfListeners;
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
  const literal = parseAddress(host);
  const addresses = literal ? [literal.address] : policy.resolve === false ? [] : await resolveAll(host);
  const refused = literal ? addressRefusal(host, host, policy.denyPrivate) : addresses.map((a) => addressRefusal(host, a, policy.denyPrivate)).find((r) => r);
  if (refused) return { ok: false, reason: refused };
  const loop = policy.self ? selfTarget(u, kind, host, addresses, policy.self) : undefined;
  if (loop) return { ok: false, reason: loop };
  return { ok: true, url: raw, kind };
}

/** This server's own listeners: a drain to one of them would feed the app's lines back in. */
export interface SelfListeners {
  /** Every port this node listens on (HTTP, syslog TCP/UDP, TLS, router). */
  ports: number[];
  /** `--public-url`: its host and port are this server too, by whatever route. */
  publicUrl?: string;
}

const DEFAULT_PORTS: Record<DrainKind, number> = { http: 80, https: 443, syslog: 601, 'syslog+tls': 6514, 'syslog+udp': 514 };

/** Why the URL points at this very server (a loop), or undefined. */
function selfTarget(u: URL, kind: DrainKind, host: string, addresses: string[], self: SelfListeners): string | undefined {
  const port = u.port ? Number(u.port) : DEFAULT_PORTS[kind];
  const why = `; a drain to itself would send every line back into the app (a loop)`;
  if (self.publicUrl) {
    try {
      const p = new URL(self.publicUrl);
      const pPort = p.port ? Number(p.port) : p.protocol === 'https:' ? 443 : 80;
      const pHost = p.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      const same = pHost === host.toLowerCase() || (parseAddress(pHost)?.address ?? pHost) === (parseAddress(host)?.address ?? host.toLowerCase());
      if (same && pPort === port) return `${host}:${port} is this Sluice server (its public URL)${why}`;
    } catch {
      /* a public URL that does not parse names no host */
    }
  }
  if (!self.ports.includes(port)) return undefined;
  const name = host.toLowerCase().replace(/\.$/, '');
  const candidates = name === 'localhost' || name.endsWith('.localhost') ? ['127.0.0.1', ...addresses] : addresses;
  const local = candidates.find((a) => isThisMachine(a));
  return local ? `${host}:${port} is one of this Sluice server's own listeners (${local})${why}` : undefined;
}

/** Loopback, unspecified (0.0.0.0 and :: reach this machine) or one of its interfaces' addresses. */
function isThisMachine(address: string): boolean {
  const a = parseAddress(address);
  if (!a) return false;
  if (a.cls === 'loopback' || a.cls === 'unspecified') return true;
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (parseAddress(i.address)?.address === a.address) return true;
  }
  return false;
}

/** Every address `host` resolves to now, through the drain resolver, waiting at most `RESOLVE_WAIT_MS`. */
async function resolveAll(host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const wait = new Promise<[]>((r) => (timer = setTimeout(() => r([]), RESOLVE_WAIT_MS)));
  try {
    const found = drainResolver()
      .resolve(host)
      .then((list) => list.map((a) => a.address));
    // An unresolvable (or slow) name is allowed: DNS may change, every connection checks again,
    // and delivery reports the error. Waiting long here would hold the API request.
    return await Promise.race([found.catch(() => [] as string[]), wait]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long adding a drain waits for its host name to resolve before accepting it unchecked. */
const RESOLVE_WAIT_MS = 1_500;

/** The kind of a drain URL by its scheme, or undefined for anything Sluice cannot deliver to. */
export function drainKindOf(raw: string): DrainKind | undefined {
  try {
    return SCHEMES[new URL(raw).protocol];
  } catch {
    return undefined;
  }
}
