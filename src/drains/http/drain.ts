// HTTP(S) drains: batches POSTed one at a time over a keep-alive undici Client, retried per SPEC §8.
import { rootCertificates } from 'node:tls';
import { Client } from 'undici';
import { VERSION } from '../../core/version.js';
import { formatHttpDrainMessage } from '../../wire/drain-format.js';
import { platformLine } from '../../core/stream-errors.js';
import { guardedLookup, literalRefusal } from '../address-guard.js';
import { certFailure, describeError, parseRetryAfter } from '../backoff.js';
import { BaseDrain, elapsed, type StepResult } from '../base.js';
import type { DrainContext, DrainTestResult } from '../contract.js';
import type { DrainKind } from '../url.js';
import { httpTarget, type HttpTarget } from './config.js';
import { frame, newFrameId, takeHttpBatch, type HttpBatch } from './encoder.js';

type Outcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'rejected'; status: number } // 4xx other than 408/429: the receiver will never take it
  | { kind: 'retry'; error: string; retryAfterMs?: number; cert?: string; status?: number };

export class HttpDrain extends BaseDrain {
  readonly kind: DrainKind;
  private readonly target: HttpTarget;
  private client: Client | undefined;
  private batch: HttpBatch | undefined;
  private abort: AbortController | undefined;

  constructor(ctx: DrainContext) {
    super(ctx);
    this.kind = ctx.kind;
    this.target = httpTarget(ctx.url);
  }

  inFlight(): number {
    return this.batch?.lines ?? 0;
  }

  protected override idle(): boolean {
    return this.batch === undefined && super.idle();
  }

  protected async step(): Promise<StepResult> {
    const o = this.ctx.options;
    const b = (this.batch ??= takeHttpBatch(this.ctx.buffer, o.batchMaxBytes, o.batchMaxMessages));
    if (!b) return { next: 'idle' };
    b.attempts++;
    const out = await this.send(b);
    if (this.destroyed) return { next: 'idle' }; // release() accounted for the batch
    const { health } = this.ctx;
    if (out.kind === 'delivered') {
      this.batch = undefined;
      health.success(b.lines);
      this.certOk();
      return { next: 'continue' };
    }
    if (out.kind === 'rejected') {
      this.batch = undefined;
      this.dropBatch(b);
      health.failure(`HTTP ${out.status}: the receiver refused the batch (${b.lines} lines dropped)`);
      return { next: 'continue' };
    }
    if (out.cert) this.reportCertFailure(out.cert);
    health.failure(out.error, out.cert !== undefined);
    if (b.attempts >= o.maxAttempts) {
      this.batch = undefined;
      this.dropBatch(b);
      return { next: 'wait', delayMs: this.backoff(b.attempts) };
    }
    const delay = Math.max(this.backoff(b.attempts), Math.min(out.retryAfterMs ?? 0, o.maxRetryAfterMs));
    return { next: 'wait', delayMs: delay };
  }

  /** The batch's lines are lost; the loss report it carried goes back to be sent later. */
  private dropBatch(b: HttpBatch): void {
    this.ctx.buffer.restore(b.loss);
    this.ctx.buffer.drop(b.lines);
  }

  private headers(msgCount: number, frameId: string): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.target.authorization) h['Authorization'] = this.target.authorization;
    h['Content-Type'] = 'application/logplex-1';
    h['Logplex-Msg-Count'] = String(msgCount);
    h['Logplex-Frame-Id'] = frameId;
    h['Logplex-Drain-Token'] = this.ctx.token;
    h['User-Agent'] = `Sluice/${VERSION}`;
    return h;
  }

  private newClient(): Client {
    const o = this.ctx.options;
    const t = this.target;
    return new Client(t.origin, {
      connect: {
        timeout: o.connectTimeoutMs,
        lookup: guardedLookup(o.denyPrivate),
        ...(t.tls
          ? {
              rejectUnauthorized: !t.insecure,
              servername: t.servername,
              ...(this.ctx.ca ? { ca: [...rootCertificates, this.ctx.ca.toString('utf8')] } : {}),
            }
          : {}),
      },
      headersTimeout: o.requestTimeoutMs,
      bodyTimeout: o.requestTimeoutMs,
      keepAliveTimeout: 60_000,
      pipelining: 1,
    });
  }

  private async send(b: HttpBatch, client?: Client): Promise<Outcome> {
    // connect() does not call `lookup` for an IP literal: those are checked here.
    const refused = literalRefusal(this.target.host, this.ctx.options.denyPrivate);
    if (refused) return { kind: 'retry', error: refused };
    const c = client ?? (this.client ??= this.newClient());
    const ac = new AbortController();
    if (!client) this.abort = ac;
    const timer = setTimeout(() => ac.abort(new Error(`no response within ${this.ctx.options.requestTimeoutMs} ms`)), this.ctx.options.requestTimeoutMs);
    try {
      const res = await c.request({
        method: 'POST',
        path: this.target.path,
        headers: this.headers(b.msgCount, b.frameId),
        body: b.body,
        signal: ac.signal,
      });
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const s = res.statusCode;
      if (s >= 200 && s < 300) return { kind: 'delivered', status: s };
      if (s >= 400 && s < 500 && s !== 408 && s !== 429) return { kind: 'rejected', status: s };
      return {
        kind: 'retry',
        status: s,
        error: `HTTP ${s}`,
        retryAfterMs: s === 429 || s === 503 ? parseRetryAfter(res.headers['retry-after']) : undefined,
      };
    } catch (err) {
      const cert = certFailure(err);
      const reason = ac.signal.aborted ? `timeout: ${describeError(ac.signal.reason)}` : describeError(err);
      // A failed connection may be half-dead: start the next attempt on a fresh one.
      if (!client && this.client === c) {
        this.client = undefined;
        void c.destroy().catch(() => undefined);
      }
      return { kind: 'retry', error: cert ? `certificate: ${cert}` : reason, cert };
    } finally {
      clearTimeout(timer);
      if (this.abort === ac) this.abort = undefined;
    }
  }

  async test(): Promise<DrainTestResult> {
    const start = Date.now();
    const msg = formatHttpDrainMessage(platformLine('logplex', `Test message from Sluice for drain ${this.ctx.token}.`));
    const client = this.newClient();
    const b: HttpBatch = { frameId: newFrameId(), body: Buffer.from(frame(msg).text, 'utf8'), msgCount: 1, lines: 1, loss: undefined, attempts: 1 };
    try {
      const out = await this.send(b, client);
      const tls = this.target.tls ? { verified: !this.target.insecure, insecure: this.target.insecure } : null;
      if (out.kind === 'delivered') return { ok: true, kind: this.kind, connected: true, tls, status: out.status, error: null, duration_ms: elapsed(start) };
      if (out.kind === 'rejected') {
        return { ok: false, kind: this.kind, connected: true, tls, status: out.status, error: `HTTP ${out.status}`, duration_ms: elapsed(start) };
      }
      if (out.cert) this.reportCertFailure(out.cert);
      const connected = out.status !== undefined;
      return {
        ok: false,
        kind: this.kind,
        connected,
        tls: this.target.tls ? (out.cert ? { verified: false, insecure: false } : connected ? tls : null) : null,
        status: out.status ?? null,
        error: out.error,
        duration_ms: elapsed(start),
      };
    } finally {
      void client.destroy().catch(() => undefined);
    }
  }

  protected release(): void {
    if (this.batch) this.dropBatch(this.batch);
    this.batch = undefined;
    this.abort?.abort(new Error('drain stopped'));
    const c = this.client;
    this.client = undefined;
    if (c) void c.destroy().catch(() => undefined);
  }
}
