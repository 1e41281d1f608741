// Connect-time address checks: a drain's host name is resolved on every connection and never dialled at a link-local (or, when denied, private) address, whatever it resolved to when the drain was added.
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal } from './url.js';

/**
 * A `lookup` for net/tls.connect, undici and UDP: resolves like `dns.lookup`, then removes the
 * addresses SPEC §10 forbids. A name that now resolves only to forbidden addresses (DNS changed
 * since the drain was added, or answers differently on purpose) fails with the reason instead.
 */
export function guardedLookup(denyPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      const fail = (e: NodeJS.ErrnoException): void => (options.all ? callback(e, []) : callback(e, '', undefined));
      if (err) return fail(err);
      const allowed = addresses.filter((a) => addressRefusal(hostname, a.address, denyPrivate) === undefined);
      if (allowed.length === 0) {
        const first = addresses[0]?.address;
        const reason = first === undefined ? `${hostname} has no address` : addressRefusal(hostname, first, denyPrivate);
        return fail(new Error(reason)); // no code: the reason is the whole message users see
      }
      if (options.all) callback(null, allowed);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

/**
 * Why an IP-literal host may not be dialled (connect() skips `lookup` for those); undefined for
 * names and allowed literals. Checked again at connect time because `--deny-private-drains` may
 * have been turned on since the drain was added.
 */
export function literalRefusal(host: string, denyPrivate: boolean): string | undefined {
  return isIP(host) ? addressRefusal(host, host, denyPrivate) : undefined;
}

/** One allowed address of `host`; rejects with the reason when it has none. */
export function resolveDrainHost(host: string, denyPrivate: boolean): Promise<string> {
  if (isIP(host)) {
    const refused = literalRefusal(host, denyPrivate);
    return refused ? Promise.reject(new Error(refused)) : Promise.resolve(host);
  }
  const lookup = guardedLookup(denyPrivate);
  return new Promise((resolve, reject) => {
    lookup(host, {}, (err, address) => (err ? reject(err) : resolve(address as string)));
  });
}
