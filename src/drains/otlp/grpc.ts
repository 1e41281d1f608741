// `otlp` telemetry drains: OTLP over gRPC (@grpc/grpc-js), the Export method of the Logs, Trace and Metrics services.
import { rootCertificates } from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { isIP } from 'node:net';
import type * as Grpc from '@grpc/grpc-js';
import { VERSION } from '../../core/version.js';
import { resolveDrainHost } from '../address-guard.js';
import { certFailure, describeError } from '../backoff.js';
import type { DrainContext } from '../contract.js';
import type { DrainKind } from '../url.js';
import { OtlpDrain, type OtlpOutcome } from './base.js';
import type { OtlpRequest } from './batch.js';

const METHOD: Record<OtlpRequest['signal'], string> = {
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
};

/** gRPC status codes used here (numbers fixed by the gRPC spec). */
const OK = 0;
const INVALID_ARGUMENT = 3;
const UNAVAILABLE = 14;
/** Codes worth another attempt (OTLP's list): CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS. */
const RETRYABLE = new Set([1, 4, 8, 10, 11, 14, 15]);

/** @grpc/grpc-js is loaded by the first gRPC drain, not at start. */
let grpcModule: Promise<typeof Grpc> | undefined;
const loadGrpc = (): Promise<typeof Grpc> => (grpcModule ??= import('@grpc/grpc-js'));

const identity = (b: Buffer): Buffer => b;

export class OtlpGrpcDrain extends OtlpDrain {
  readonly kind: DrainKind = 'otlp';
  private readonly url: URL;
  private client: Grpc.Client | undefined;
  private call: Grpc.ClientUnaryCall | undefined;

  constructor(ctx: DrainContext) {
    super(ctx);
    this.url = new URL(ctx.telemetry!.endpoint);
  }

  /** Dials the address the guard allows (resolved at every new connection), keeping the name for TLS. */
  private async newClient(): Promise<Grpc.Client> {
    const grpc = await loadGrpc();
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const address = await resolveDrainHost(host, this.ctx.options.denyPrivate);
    const tls = this.url.protocol === 'https:';
    const port = this.url.port || (tls ? '443' : '4317');
    const target = `${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
    const creds = tls
      ? grpc.credentials.createSsl(Buffer.from([...rootCertificates, ...(this.ctx.ca ? [this.ctx.ca.toString('utf8')] : [])].join('\n')))
      : grpc.credentials.createInsecure();
    return new grpc.Client(target, creds, {
      'grpc.primary_user_agent': `Sluice/${VERSION}`,
      'grpc.default_compression_algorithm': 2, // gzip
      ...(isIP(host) ? {} : { 'grpc.ssl_target_name_override': host, 'grpc.default_authority': host }),
    });
  }

  protected async transmit(b: OtlpRequest, oneOff = false): Promise<OtlpOutcome> {
    let body = b.body;
    if (b.signal !== 'logs') {
      if (b.contentType === 'application/json') {
        return { kind: 'rejected', status: INVALID_ARGUMENT, error: 'OTLP/JSON cannot be passed to a gRPC drain undecoded' };
      }
      if (b.contentEncoding === 'gzip') body = gunzipSync(b.body);
    }
    let c: Grpc.Client;
    let grpc: typeof Grpc;
    try {
      grpc = await loadGrpc();
      c = oneOff || !this.client ? await this.newClient() : this.client;
    } catch (err) {
      return { kind: 'retry', error: describeError(err) };
    }
    if (this.destroyed) {
      // Stopped while the channel was made: release() has put the batch back (see http.ts).
      c.close();
      return { kind: 'retry', error: 'drain stopped' };
    }
    if (!oneOff) this.client = c;
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(this.ctx.telemetry!.headers)) md.set(k.toLowerCase(), v);
    const deadline = Date.now() + this.ctx.options.requestTimeoutMs;
    try {
      await new Promise<void>((resolve, reject) => {
        const call = c.makeUnaryRequest(METHOD[b.signal], identity, identity, body, md, { deadline }, (err) => (err ? reject(err) : resolve()));
        if (!oneOff) this.call = call;
      });
      return { kind: 'delivered', status: OK };
    } catch (err) {
      const e = err as Grpc.ServiceError;
      const cert = certFailure(e);
      if (!oneOff && this.client === c && e.code === UNAVAILABLE) {
        // The next attempt resolves the name again on a fresh channel.
        this.client = undefined;
        c.close();
      }
      if (typeof e.code === 'number' && !RETRYABLE.has(e.code) && !cert) {
        return { kind: 'rejected', status: e.code, error: `gRPC ${grpc.status[e.code] ?? e.code}` };
      }
      return { kind: 'retry', error: cert ? `certificate: ${cert}` : `gRPC ${grpc.status[e.code] ?? ''}: ${e.details ?? describeError(e)}`, cert };
    } finally {
      this.call = undefined;
      if (oneOff) c.close();
    }
  }

  protected override release(): void {
    super.release();
    this.call?.cancel();
    this.client?.close();
    this.client = undefined;
  }
}
