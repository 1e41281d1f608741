// HTTP(S) drains: the queue's blocks POSTed one at a time over a keep-alive undici Client, in order,
// each retried under its own Frame-Id until the receiver takes or refuses it (SPEC §8).
import { rootCertificates } from 'node:tls';
import { Client } from 'undici';
import { VERSION } from '../../core/version.js';
import { l10, platformLine } from '../../core/stream-errors.js';
import { guardedLookup, literalRefusal } from '../address-guard.js';
import { attemptFailed, httpAnswer } from '../backoff.js';
import { BaseDrain, elapsed, type StepResult } from '../base.js';
import type { DrainContext, DrainTestResult } from '../contract.js';
import type { DrainKind } from '../url.js';
import { httpTarget, type HttpTarget } from './config.js';
import { frameIdFor, newFrameId, type HttpBatch } from './encoder.js';

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
    return this.batch?.block.lines ?? 0;
  }

  protected override idle(): boolean {
    return this.batch === undefined && super.idle();
  }

  protected async step(): Promise<StepResult> {
    const o = this.ctx.options;
    const q = this.ctx.queue;
    let b = this.batch;
    if (b === undefined) {
      const block = q.take();
      if (!block) return { next: 'idle' };
      b = this.batch = { block, frameId: frameIdFor(this.ctx.token, this.ctx.id, block.first), loss: q.takeLoss(), attempts: 0 };
    }
    const frames = await q.bytes(b.block);
    if (this.destroyed) return { next: 'idle' }; // release() put the batch back
    if (frames === undefined) {
      // Unreadable in the spool: dropped and counted by the queue; its loss report goes back.
      this.batch = undefined;
      q.settleLoss(false);
      return { next: 'continue' };
    }
    b.attempts++;
    const lossFrame = b.loss ? this.ctx.encoder.frame(l10(b.loss.count, b.loss.since)) : undefined;
    const body = lossFrame ? Buffer.concat([lossFrame, frames]) : frames;
    const out = await this.send(body, b.block.lines + (lossFrame ? 1 : 0), b.frameId);
    if (this.destroyed) return { next: 'idle' };
    const { health } = this.ctx;
    if (out.kind === 'delivered') {
      this.batch = undefined;
      q.ack(b.block);
      q.settleLoss(true);
      health.success();
      this.certOk();
      return { next: 'continue' };
    }
    if (out.kind === 'rejected') {
      this.batch = undefined;
      this.dropBatch(b);
      health.failure(`HTTP ${out.status}: the receiver refused the batch (${b.block.lines} lines dropped)`);
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

  /** The batch's lines are lost (counted); the loss report it carried goes back to be sent later. */
  private dropBatch(b: HttpBatch): void {
    this.ctx.queue.reject(b.block);
    this.ctx.queue.settleLoss(false);
  }

  private headers(msgCount: number, frameId: string): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.target.authorization) h['Authorization'] = this.target.authorization;
    h['Content-Type'] = 'application/logplex-1';
    h['Logplex-Msg-Count'] = String(msgCount);
    h['Logplex-Frame-Id'] = frameId;
    h['Logplex-Drain-Token'] = this.ctx.token;
    // Receivers written for Heroku look for `Logplex/`.
    h['User-Agent'] = `Logplex/v72 (compatible; Sluice/${VERSION})`;
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

  private async send(body: Buffer, msgCount: number, frameId: string, client?: Client): Promise<Outcome> {
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
        headers: this.headers(msgCount, frameId),
        body,
        signal: ac.signal,
      });
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      return httpAnswer(res.statusCode, res.headers['retry-after']);
    } catch (err) {
      // A failed connection may be half-dead: start the next attempt on a fresh one.
      if (!client && this.client === c) {
        this.client = undefined;
        void c.destroy().catch(() => undefined);
      }
      return attemptFailed(err, ac.signal);
    } finally {
      clearTimeout(timer);
      if (this.abort === ac) this.abort = undefined;
    }
  }

  async test(): Promise<DrainTestResult> {
    const start = Date.now();
    const body = this.ctx.encoder.frame(platformLine('logplex', `Test message from Sluice for drain ${this.ctx.token}.`));
    const client = this.newClient();
    try {
      const out = await this.send(body, 1, newFrameId(this.ctx.token), client);
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
    // A batch in flight stays first in the queue (and its loss report pending): the spool keeps it.
    if (this.batch) {
      this.ctx.queue.untake(this.batch.block);
      this.ctx.queue.settleLoss(false);
    }
    this.batch = undefined;
    this.abort?.abort(new Error('drain stopped'));
    const c = this.client;
    this.client = undefined;
    if (c) void c.destroy().catch(() => undefined);
  }
}
