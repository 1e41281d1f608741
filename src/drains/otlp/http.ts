// `otlphttp` telemetry drains: OTLP/HTTP POSTs to ENDPOINT/v1/{logs,traces,metrics} over a keep-alive undici Client.
import { rootCertificates } from 'node:tls';
import { Client } from 'undici';
import { VERSION } from '../../core/version.js';
import { guardedLookup, literalRefusal } from '../address-guard.js';
import { attemptFailed, httpAnswer } from '../backoff.js';
import type { DrainContext } from '../contract.js';
import type { DrainKind } from '../url.js';
import { httpTarget, type HttpTarget } from '../http/config.js';
import { OtlpDrain, type OtlpOutcome } from './base.js';
import { httpBody, type OtlpRequest } from './batch.js';

export class OtlpHttpDrain extends OtlpDrain {
  readonly kind: DrainKind = 'otlphttp';
  private readonly target: HttpTarget;
  /** The endpoint's path without a trailing slash; the signal's `/v1/…` is appended. */
  private readonly basePath: string;
  private client: Client | undefined;
  private abort: AbortController | undefined;

  constructor(ctx: DrainContext) {
    super(ctx);
    this.target = httpTarget(ctx.telemetry!.endpoint);
    this.basePath = new URL(ctx.telemetry!.endpoint).pathname.replace(/\/+$/, '');
  }

  private newClient(): Client {
    const o = this.ctx.options;
    const t = this.target;
    return new Client(t.origin, {
      connect: {
        timeout: o.connectTimeoutMs,
        lookup: guardedLookup(o.denyPrivate),
        ...(t.tls
          ? { rejectUnauthorized: true, servername: t.servername, ...(this.ctx.ca ? { ca: [...rootCertificates, this.ctx.ca.toString('utf8')] } : {}) }
          : {}),
      },
      headersTimeout: o.requestTimeoutMs,
      bodyTimeout: o.requestTimeoutMs,
      keepAliveTimeout: 60_000,
      pipelining: 1,
    });
  }

  protected async transmit(b: OtlpRequest, oneOff = false): Promise<OtlpOutcome> {
    const refused = literalRefusal(this.target.host, this.ctx.options.denyPrivate);
    if (refused) return { kind: 'retry', error: refused };
    const { body, encoding } = await httpBody(b);
    // Stopped while the body was compressed (in the thread pool, slow on a loaded machine):
    // release() has put the batch back for the spool, so nothing may go out now — a request sent
    // here reached a receiver that came back, and the next start sent the same lines again.
    if (this.destroyed) return { kind: 'retry', error: 'drain stopped' };
    const c = oneOff ? this.newClient() : (this.client ??= this.newClient());
    const ac = new AbortController();
    if (!oneOff) this.abort = ac;
    const timeout = this.ctx.options.requestTimeoutMs;
    const timer = setTimeout(() => ac.abort(new Error(`no response within ${timeout} ms`)), timeout);
    const headers: Record<string, string> = { ...this.ctx.telemetry!.headers };
    if (this.target.authorization) headers['Authorization'] = this.target.authorization;
    headers['Content-Type'] = b.contentType;
    if (encoding) headers['Content-Encoding'] = encoding;
    headers['User-Agent'] = `Sluice/${VERSION}`;
    try {
      const res = await c.request({ method: 'POST', path: `${this.basePath}/v1/${b.signal}`, headers, body, signal: ac.signal });
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const a = httpAnswer(res.statusCode, res.headers['retry-after']);
      return a.kind === 'rejected' ? { ...a, error: `HTTP ${a.status}` } : a;
    } catch (err) {
      if (!oneOff && this.client === c) {
        this.client = undefined;
        void c.destroy().catch(() => undefined);
      }
      return attemptFailed(err, ac.signal);
    } finally {
      clearTimeout(timer);
      if (this.abort === ac) this.abort = undefined;
      if (oneOff) void c.destroy().catch(() => undefined);
    }
  }

  protected override release(): void {
    super.release();
    this.abort?.abort(new Error('drain stopped'));
    const c = this.client;
    this.client = undefined;
    if (c) void c.destroy().catch(() => undefined);
  }
}
