// Connect-time address checks: a drain's (or partner's) host is resolved on every connection by
// the drain resolver (c-ares, not libuv's thread pool) and never dialled at a link-local (or,
// when denied, private) address, whatever it resolved to when the drain was added.
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { addressRefusal, parseAddress } from './address-policy.js';
import { drainResolver } from './resolver.js';

/** The allowed addresses of `host`; rejects with the refusal (or the lookup error) when none is. */
export async function allowedAddresses(host: string, denyPrivate: boolean): Promise<LookupAddress[]> {
  const refused = literalRefusal(host, denyPrivate);
  if (refused) throw new Error(refused);
  const addresses = await drainResolver().resolve(host);
  const allowed = addresses.filter((a) => addressRefusal(host, a.address, denyPrivate) === undefined);
  if (allowed.length > 0) return allowed;
  const first = addresses[0]?.address;
  // No error code: the reason is the whole message users see.
  throw new Error(first === undefined ? `${host} has no address` : addressRefusal(host, first, denyPrivate));
}

/**
 * A `lookup` for net/tls.connect, undici and UDP: resolves through the drain resolver, then
 * removes the addresses the policy forbids. A name that now resolves only to forbidden addresses
 * (DNS changed since the drain was added, or answers differently on purpose) fails with the
 * reason instead. Numeric hosts in any spelling (`2852039166`, `0xa9.0xfe.0xa9.0xfe`) are
 * literals here, never DNS names.
 */
export function guardedLookup(denyPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const fail = (e: NodeJS.ErrnoException): void => (options.all ? callback(e, []) : callback(e, '', undefined));
    allowedAddresses(hostname, denyPrivate).then(
      (all) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const fit = family ? all.filter((a) => a.family === family) : all;
        if (fit.length === 0) return fail(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }));
        if (options.all) callback(null, fit);
        else callback(null, fit[0].address, fit[0].family);
      },
      (err: NodeJS.ErrnoException) => fail(err),
    );
  };
}

/**
 * Why an IP-literal host may not be dialled (connect() skips `lookup` for those); undefined for
 * names and allowed literals. Checked again at connect time because `--deny-private-drains` may
 * have been turned on since the drain was added.
 */
export function literalRefusal(host: string, denyPrivate: boolean): string | undefined {
  return parseAddress(host) ? addressRefusal(host, host, denyPrivate) : undefined;
}

/** One allowed address of `host`; rejects with the reason when it has none. */
export async function resolveDrainHost(host: string, denyPrivate: boolean): Promise<string> {
  return (await allowedAddresses(host, denyPrivate))[0].address;
}
