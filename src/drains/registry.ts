// Drain kinds by URL scheme: the manager asks the registry, never a drain class directly.
import type { DrainFactory } from './contract.js';
import { HttpDrain } from './http/drain.js';
import { OtlpGrpcDrain } from './otlp/grpc.js';
import { OtlpHttpDrain } from './otlp/http.js';
import { SyslogDrain } from './syslog/drain.js';
import { UdpDrain } from './udp/drain.js';
import type { DrainKind } from './url.js';

export class DrainRegistry {
  private readonly factories = new Map<DrainKind, DrainFactory>();

  register(kind: DrainKind, factory: DrainFactory): this {
    this.factories.set(kind, factory);
    return this;
  }

  factory(kind: DrainKind): DrainFactory | undefined {
    return this.factories.get(kind);
  }
}

/** Every kind Sluice ships: http, https, syslog (TCP), syslog+tls, syslog+udp, and the telemetry kinds otlphttp and otlp (gRPC). */
export function defaultRegistry(): DrainRegistry {
  return new DrainRegistry()
    .register('http', (c) => new HttpDrain(c))
    .register('https', (c) => new HttpDrain(c))
    .register('syslog', (c) => new SyslogDrain(c))
    .register('syslog+tls', (c) => new SyslogDrain(c))
    .register('syslog+udp', (c) => new UdpDrain(c))
    .register('otlphttp', (c) => new OtlpHttpDrain(c))
    .register('otlp', (c) => new OtlpGrpcDrain(c));
}
