// Drain kinds by URL scheme: the manager asks the registry, never a drain class directly. A kind
// supplies its sender, its encoder and its block size; the queue underneath is shared.
import type { DrainKindSpec } from './contract.js';
import { httpEncoder, syslogEncoder } from './encoder.js';
import { HttpDrain } from './http/drain.js';
import { SyslogDrain } from './syslog/drain.js';
import { UdpDrain } from './udp/drain.js';
import type { DrainKind } from './url.js';

export class DrainRegistry {
  private readonly kinds = new Map<DrainKind, DrainKindSpec>();

  register(kind: DrainKind, spec: DrainKindSpec): this {
    this.kinds.set(kind, spec);
    return this;
  }

  spec(kind: DrainKind): DrainKindSpec | undefined {
    return this.kinds.get(kind);
  }
}

const HTTP: DrainKindSpec = {
  create: (c) => new HttpDrain(c),
  encoder: ({ format }) => httpEncoder(format === 'rfc5424' ? 'rfc5424' : 'heroku'),
  // One block is one POST: ~100 KiB or 1,000 messages (the L10 frame, when there is one, rides on top).
  block: (o) => ({ bytes: o.batchMaxBytes, lines: o.batchMaxMessages }),
};

const SYSLOG: DrainKindSpec = {
  create: (c) => new SyslogDrain(c),
  encoder: ({ token }) => syslogEncoder(token),
  block: (o) => ({ bytes: o.writeMaxBytes, lines: Number.MAX_SAFE_INTEGER }),
};

/** Every kind Sluice ships: http, https, syslog (TCP), syslog+tls, syslog+udp. */
export function defaultRegistry(): DrainRegistry {
  return new DrainRegistry()
    .register('http', HTTP)
    .register('https', HTTP)
    .register('syslog', SYSLOG)
    .register('syslog+tls', SYSLOG)
    .register('syslog+udp', { ...SYSLOG, create: (c) => new UdpDrain(c), block: () => ({ bytes: 64 * 1024, lines: 256 }) });
}
