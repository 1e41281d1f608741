// Which addresses Sluice may dial for a drain or a partner call: every textual form of an address
// (IPv4-mapped, -compatible and NAT64 IPv6; decimal, octal, hex and short IPv4) is normalised to
// the IPv4 or IPv6 address it reaches before the policy is asked, so no spelling slips past it.
import ipaddr from 'ipaddr.js';

/** What an address reaches, as far as the policy cares. */
export type AddressClass = 'link-local' | 'multicast' | 'loopback' | 'unspecified' | 'private' | 'reserved' | 'public';

export interface ParsedAddress {
  /** The address a connection would reach: the embedded IPv4 address for mapped/compatible/NAT64 forms. */
  address: string;
  family: 4 | 6;
  /** How the IPv4 address was written inside an IPv6 one, when it was. */
  embedded?: 'IPv4-mapped' | 'IPv4-compatible' | 'NAT64' | '6to4';
  cls: AddressClass;
}

/**
 * The address `host` names when it is an IP literal in any form `inet_aton` or an IPv6 parser
 * accepts (`2852039166`, `0xa9.0xfe.0xa9.0xfe`, `0251.0376.0251.0376`, `169.254.43518`, `127.1`,
 * `[::ffff:a9fe:a9fe]`, `169.254.169.254.`); undefined for host names.
 */
export function parseAddress(host: string): ParsedAddress | undefined {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.') && !h.includes(':')) h = h.slice(0, -1); // "1.2.3.4." is still 1.2.3.4 to inet_aton's callers
  if (h.includes('%')) return undefined; // zone ids never reach a dialer: URLs cannot carry them
  if (!ipaddr.isValid(h)) return undefined;
  let a: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    a = ipaddr.parse(h);
  } catch {
    return undefined;
  }
  const parsed = classifyParsed(a);
  // ipaddr.js reads `::a.b.c.d` as `::ffff:a.b.c.d`; it is the IPv4-compatible form (same target).
  if (parsed.embedded === 'IPv4-mapped' && !/ffff/i.test(h)) parsed.embedded = 'IPv4-compatible';
  return parsed;
}

function classifyParsed(a: ipaddr.IPv4 | ipaddr.IPv6): ParsedAddress {
  if (a.kind() === 'ipv4') return { address: a.toString(), family: 4, cls: classOf4(a as ipaddr.IPv4) };
  const v6 = a as ipaddr.IPv6;
  const embedded = embeddedV4(v6);
  if (embedded) return { address: embedded.v4.toString(), family: 4, embedded: embedded.how, cls: classOf4(embedded.v4) };
  return { address: v6.toString(), family: 6, cls: classOf6(v6) };
}

/** The IPv4 address an IPv6 address carries and delivers to (mapped, compatible, NAT64, 6to4). */
function embeddedV4(a: ipaddr.IPv6): { v4: ipaddr.IPv4; how: NonNullable<ParsedAddress['embedded']> } | undefined {
  const p = a.parts; // eight 16-bit words
  const tail = (hi: number, lo: number): ipaddr.IPv4 => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (a.isIPv4MappedAddress()) return { v4: a.toIPv4Address(), how: 'IPv4-mapped' };
  const zeros = (from: number, to: number): boolean => p.slice(from, to).every((w) => w === 0);
  // ::a.b.c.d (deprecated "IPv4-compatible"); :: and ::1 are themselves, not 0.0.0.0 and 0.0.0.1.
  if (zeros(0, 6) && (p[6] !== 0 || p[7] > 1)) return { v4: tail(p[6], p[7]), how: 'IPv4-compatible' };
  // 64:ff9b::/96 (RFC 6052 well-known NAT64 prefix) and 64:ff9b:1::/48 (RFC 8215, local use).
  if (p[0] === 0x64 && p[1] === 0xff9b && (zeros(2, 6) || p[2] === 1)) return { v4: tail(p[6], p[7]), how: 'NAT64' };
  // 2002:AABB:CCDD::/48 — a 6to4 tunnel on this host would send to AA.BB.CC.DD.
  if (p[0] === 0x2002) return { v4: tail(p[1], p[2]), how: '6to4' };
  return undefined;
}

function classOf4(a: ipaddr.IPv4): AddressClass {
  switch (a.range()) {
    case 'linkLocal':
      return 'link-local';
    case 'multicast':
    case 'broadcast':
      return 'multicast';
    case 'loopback':
      return 'loopback';
    case 'unspecified':
      return 'unspecified'; // 0.0.0.0/8: connecting to it reaches this machine
    case 'private':
    case 'carrierGradeNat':
      return 'private';
    case 'unicast':
      return 'public';
    default:
      return 'reserved';
  }
}

function classOf6(a: ipaddr.IPv6): AddressClass {
  const p = a.parts;
  if ((p[0] & 0xffc0) === 0xfec0) return 'private'; // fec0::/10, the deprecated site-local range
  switch (a.range()) {
    case 'linkLocal':
      return 'link-local';
    case 'multicast':
      return 'multicast';
    case 'loopback':
      return 'loopback';
    case 'unspecified':
      return 'unspecified';
    case 'uniqueLocal':
      return 'private';
    case 'unicast':
    case 'teredo':
      return 'public';
    default:
      return 'reserved';
  }
}

/**
 * Why a drain (or partner call) may not be dialled at `address`, one of `host`'s addresses; undefined
 * when it may. Link-local and multicast are never allowed (cloud metadata services live at
 * 169.254.169.254); loopback, unspecified, private and reserved ranges only when private
 * targets are allowed.
 */
export function addressRefusal(host: string, address: string, denyPrivate: boolean): string | undefined {
  const a = parseAddress(address);
  if (!a) return `${host} resolved to something that is not an IP address (${address})`;
  const what = a.embedded ? `${a.address}, written as ${a.embedded.startsWith('IPv4') ? 'an' : 'a'} ${a.embedded} IPv6 address` : a.address;
  const shown = host === a.address ? host : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  switch (a.cls) {
    case 'link-local':
      return `${shown} is a link-local address (${what}); drains to it are never allowed`;
    case 'multicast':
      return `${shown} is a multicast or broadcast address (${what}); drains to it are never allowed`;
    case 'public':
      return undefined;
    default:
      if (!denyPrivate) return undefined;
      return `${shown} is ${DESCRIBED[a.cls]} (${what}); this server denies private drains`;
  }
}

const DESCRIBED: Record<'loopback' | 'unspecified' | 'private' | 'reserved', string> = {
  loopback: 'a loopback or private address',
  private: 'a loopback or private address',
  unspecified: 'an unspecified address, which reaches this machine',
  reserved: 'a reserved address',
};
