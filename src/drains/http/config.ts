// An HTTP drain's URL, taken apart once: where to connect, what path to POST, which credentials.
import { isIP } from 'node:net';

export interface HttpTarget {
  /** `scheme://host[:port]`, without userinfo: what undici connects to. */
  origin: string;
  /** Path and query exactly as in the URL (`/` when empty); the fragment is never sent. */
  path: string;
  /** `Basic …` when the URL has userinfo (percent-decoded), else undefined. */
  authorization: string | undefined;
  tls: boolean;
  /** `#insecure`: do not verify the receiver's certificate. */
  insecure: boolean;
  /** For SNI; undefined for IP literals. */
  servername: string | undefined;
  /** The host without IPv6 brackets. */
  host: string;
}

export function httpTarget(raw: string): HttpTarget {
  const u = new URL(raw);
  const tls = u.protocol === 'https:';
  const authorization =
    u.username || u.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`, 'utf8').toString('base64')}`
      : undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return {
    origin: `${u.protocol}//${u.host}`,
    path: `${u.pathname || '/'}${u.search}`,
    authorization,
    tls,
    insecure: u.hash === '#insecure',
    servername: isIP(host) ? undefined : host,
    host,
  };
}
