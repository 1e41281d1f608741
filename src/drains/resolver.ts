// Drain host names resolved without libuv's thread pool: `dns.lookup` runs getaddrinfo on the
// pool's 4 threads, shared with file I/O, so one receiver whose DNS hangs could stall every
// other drain's connection (and the disk). c-ares queries are asynchronous sockets instead, with
// per-query timeouts, a TTL-respecting cache, one query in flight per name and a bound on names;
// getaddrinfo is only a bounded fallback for names DNS does not know (search domains, NSS).
import { lookup as dnsLookup, promises as dnsPromises, type LookupAddress } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { parseAddress } from './address-policy.js';

export interface DrainResolverOptions {
  /** DNS servers (`ip` or `ip:port`); default the system's (resolv.conf). */
  servers?: string[];
  /** First try's timeout of one query. */
  timeoutMs?: number;
  /** Tries per query (c-ares doubles the timeout on each). */
  tries?: number;
  /** Answers are kept for their TTL, but at least this long… */
  minTtlMs?: number;
  /** …and at most this long. */
  maxTtlMs?: number;
  /** Failures (no such name, timeouts) are remembered this long: a retrying drain asks again at most this often. */
  negativeTtlMs?: number;
  /** Distinct names being resolved at once; past it a lookup fails at once instead of queueing. */
  maxInFlight?: number;
  /** Read for names DNS does not know (`files` before `dns`, as nsswitch does). */
  hostsFile?: string;
}

const DEFAULTS: Required<Omit<DrainResolverOptions, 'servers'>> = {
  timeoutMs: 2_000,
  tries: 2,
  minTtlMs: 5_000,
  maxTtlMs: 300_000,
  negativeTtlMs: 5_000,
  maxInFlight: 256,
  hostsFile: '/etc/hosts',
};
const HOSTS_REREAD_MS = 10_000;
/** getaddrinfo fallbacks at once: at most half of libuv's default pool of 4. */
const MAX_SYSTEM_LOOKUPS = 2;

type Answer = { ok: true; addresses: LookupAddress[] } | { ok: false; code: string; message: string };
interface Cached {
  answer: Answer;
  expires: number;
}

export class DrainResolver {
  private readonly o: Required<Omit<DrainResolverOptions, 'servers'>>;
  private readonly resolver: dnsPromises.Resolver;
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<Answer>>();
  private hosts: { map: Promise<Map<string, LookupAddress[]>>; readAt: number } | undefined;
  /** Queries sent since start (for tests and the server log). */
  queries = 0;
  /** getaddrinfo calls running now (each holds a thread-pool thread). */
  private systemLookups = 0;
  /** With the system's DNS servers, names DNS does not know are also asked of the system resolver. */
  private readonly systemFallback: boolean;

  constructor(opts: DrainResolverOptions = {}) {
    this.o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
    this.resolver = new dnsPromises.Resolver({ timeout: this.o.timeoutMs, tries: this.o.tries });
    // Servers given explicitly are the only DNS: nothing is asked of the system's resolver then.
    this.systemFallback = !(opts.servers && opts.servers.length > 0);
    if (!this.systemFallback) this.resolver.setServers(opts.servers!);
  }

  /** Every address of `host` (IPv4 first); rejects with an Error whose `code` says why (ENOTFOUND, ETIMEOUT, …). */
  async resolve(host: string): Promise<LookupAddress[]> {
    const name = host.toLowerCase().replace(/\.$/, '');
    const literal = parseAddress(name);
    if (literal) return [{ address: literal.address, family: literal.family }];
    // The hosts file first, as nsswitch's "files dns" does (it decides what `localhost` is, too).
    const fromFile = (await this.hostsMap()).get(name);
    if (fromFile) return fromFile;
    // RFC 6761: localhost names are this machine and .invalid names never exist; neither is asked of DNS.
    if (name === 'localhost' || name.endsWith('.localhost')) return [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
    if (name.endsWith('.invalid')) throw lookupError('ENOTFOUND', `${host} does not exist (.invalid names never do)`);
    const answer = await this.answer(name);
    if (answer.ok) return answer.addresses;
    throw lookupError(answer.code, answer.message);
  }

  private async answer(name: string): Promise<Answer> {
    const hit = this.cache.get(name);
    if (hit && hit.expires > Date.now()) return hit.answer;
    if (hit) this.cache.delete(name);
    const pending = this.inFlight.get(name);
    if (pending) return pending;
    if (this.inFlight.size >= this.o.maxInFlight) {
      return { ok: false, code: 'EBUSY', message: `${name} not resolved: ${this.o.maxInFlight} other names are being resolved already` };
    }
    const p = this.query(name).finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, p);
    return p;
  }

  private async query(name: string): Promise<Answer> {
    this.queries++;
    // Bounded whatever c-ares does: its tries double the timeout, so this is the sum plus slack.
    const budget = this.o.timeoutMs * (2 ** this.o.tries - 1) + 250;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), budget)));
    const both = Promise.allSettled([this.resolver.resolve4(name, { ttl: true }), this.resolver.resolve6(name, { ttl: true })]);
    const settled = await Promise.race([both, deadline]);
    clearTimeout(timer);
    let answer: Answer;
    let ttlMs = this.o.negativeTtlMs;
    if (settled === 'timeout') {
      answer = { ok: false, code: 'ETIMEOUT', message: `DNS did not answer for ${name} in time` };
    } else {
      const [a, aaaa] = settled;
      const records = [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
      if (records.length > 0) {
        const addresses = records.map((r) => ({ address: r.address, family: r.address.includes(':') ? 6 : 4 }));
        answer = { ok: true, addresses };
        ttlMs = Math.min(this.o.maxTtlMs, Math.max(this.o.minTtlMs, Math.min(...records.map((r) => r.ttl)) * 1000));
      } else {
        const codes = [a, aaaa].map((r) => (r.status === 'rejected' ? String((r.reason as NodeJS.ErrnoException).code) : 'ENODATA'));
        const missing = codes.every((c) => c === 'ENOTFOUND' || c === 'ENODATA');
        const code = codes.find((c) => c !== 'ENOTFOUND' && c !== 'ENODATA') ?? 'ESERVFAIL';
        answer = missing
          ? { ok: false, code: 'ENOTFOUND', message: `${name} has no address in DNS` }
          : code === 'ETIMEOUT'
            ? { ok: false, code, message: `DNS did not answer for ${name} in time` }
            : { ok: false, code, message: `DNS failed for ${name} (${codes.join(', ')})` };
      }
    }
    if (!answer.ok && answer.code === 'ENOTFOUND' && this.systemFallback) {
      const sys = await this.systemLookup(name, budget);
      if (sys) {
        answer = { ok: true, addresses: sys };
        ttlMs = this.o.minTtlMs; // getaddrinfo gives no TTL
      }
    }
    this.cache.set(name, { answer, expires: Date.now() + ttlMs });
    this.trim();
    return answer;
  }

  /**
   * Names DNS itself does not know may still be the system's to resolve (search domains, NSS
   * sources beyond /etc/hosts). getaddrinfo occupies a thread-pool thread until it returns, so at
   * most `MAX_SYSTEM_LOOKUPS` run at once — counted until they really return, not until we stop
   * waiting — and the rest do without: the pool always has threads left for everything else.
   */
  private systemLookup(name: string, budget: number): Promise<LookupAddress[] | undefined> {
    if (this.systemLookups >= MAX_SYSTEM_LOOKUPS) return Promise.resolve(undefined);
    this.systemLookups++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), budget);
      dnsLookup(name, { all: true }, (err, addresses) => {
        this.systemLookups--;
        clearTimeout(timer);
        resolve(err || addresses.length === 0 ? undefined : addresses.map((a) => ({ address: a.address, family: a.family })));
      });
    });
  }

  /** The cache holds at most ~4 names per allowed in-flight query: expired entries go first, then the oldest. */
  private trim(): void {
    const max = this.o.maxInFlight * 4;
    if (this.cache.size <= max) return;
    const now = Date.now();
    for (const [k, v] of this.cache) if (v.expires <= now) this.cache.delete(k);
    for (const k of this.cache.keys()) {
      if (this.cache.size <= max) break;
      this.cache.delete(k);
    }
  }

  /** /etc/hosts, read again at most every 10 s (its names are this machine's to decide, not DNS's). */
  private hostsMap(): Promise<Map<string, LookupAddress[]>> {
    const now = Date.now();
    if (!this.hosts || now - this.hosts.readAt >= HOSTS_REREAD_MS) this.hosts = { map: readHosts(this.o.hostsFile), readAt: now };
    return this.hosts.map;
  }
}

async function readHosts(file: string): Promise<Map<string, LookupAddress[]>> {
  const map = new Map<string, LookupAddress[]>();
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const raw of text.split('\n')) {
    const [addr, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
    const a = addr ? parseAddress(addr) : undefined;
    if (!a) continue;
    for (const n of names) {
      const key = n.toLowerCase();
      const list = map.get(key) ?? [];
      if (!list.some((x) => x.address === a.address)) list.push({ address: a.address, family: a.family });
      map.set(key, list);
    }
  }
  return map;
}

function lookupError(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(message);
  e.code = code;
  return e;
}

let current: DrainResolver | undefined;

/** The process's drain resolver (drains, drain URL checks and partner calls share its cache). */
export function drainResolver(): DrainResolver {
  return (current ??= new DrainResolver());
}

/** Replaces the process's drain resolver (server start with `--drain-dns-servers`; tests). */
export function useDrainResolver(r: DrainResolver): void {
  current = r;
}
