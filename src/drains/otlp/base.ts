// What both telemetry drain kinds share: the drain's queue blocks sent as OTLP logs, passed-through traces/metrics, one request at a time.
import { l10, platformLine } from '../../core/stream-errors.js';
import { BaseDrain, elapsed, type StepResult } from '../base.js';
import type { DrainContext, DrainTestResult } from '../contract.js';
import { logsRequest, signalRequest, type OtlpBatch, type OtlpRequest } from './batch.js';
import { decodeSignal } from './signal-record.js';

export type OtlpOutcome =
  | { kind: 'delivered'; status: number }
  /** The receiver will never take it (HTTP 4xx other than 408/429, a non-retryable gRPC code). */
  | { kind: 'rejected'; status: number; error: string }
  | { kind: 'retry'; error: string; status?: number; retryAfterMs?: number; cert?: string };

export abstract class OtlpDrain extends BaseDrain {
  private batch: OtlpBatch | undefined;

  constructor(ctx: DrainContext) {
    super(ctx);
    if (!ctx.telemetry) throw new Error('a telemetry drain needs its exporter configuration');
  }

  /** Sends one request; must not throw. `oneOff`: on a connection of its own (the drain test). */
  protected abstract transmit(r: OtlpRequest, oneOff?: boolean): Promise<OtlpOutcome>;

  inFlight(): number {
    return this.batch?.signal === 'logs' ? this.batch.block.lines : 0;
  }

  protected override idle(): boolean {
    return this.batch === undefined && (this.ctx.signals?.empty ?? true) && super.idle();
  }

  /**
   * The next batch: a waiting traces/metrics request first (they are few, and each is its own
   * block of the signal queue), else the log queue's oldest block.
   */
  private async next(): Promise<OtlpBatch | undefined> {
    const sq = this.ctx.signals;
    for (let block = sq?.take(); sq && block; block = sq.take()) {
      const bytes = await sq.bytes(block);
      if (this.destroyed) return undefined; // release() put the block back
      const p = bytes && decodeSignal(bytes);
      if (p) return { signal: p.signal, request: signalRequest(p), block, attempts: 0 };
      if (bytes) sq.reject(block); // not a request (cannot happen for records we wrote): counted
    }
    const q = this.ctx.queue;
    const block = q.take();
    return block ? { signal: 'logs', block, loss: q.takeLoss(), attempts: 0 } : undefined;
  }

  protected async step(): Promise<StepResult> {
    const o = this.ctx.options;
    const q = this.ctx.queue;
    const b = (this.batch ??= await this.next());
    if (!b) return { next: 'idle' };
    let req: OtlpRequest;
    if (b.signal === 'logs') {
      const frames = await q.bytes(b.block);
      if (this.destroyed) return { next: 'idle' }; // release() put the batch back
      if (frames === undefined) {
        // Unreadable in the spool: dropped and counted by the queue; its loss report goes back.
        this.batch = undefined;
        q.settleLoss(false);
        return { next: 'continue' };
      }
      // An L10 request in front: concatenated requests are one request (see encoder.ts).
      req = logsRequest(b.loss ? Buffer.concat([this.ctx.encoder.frame(l10(b.loss.count, b.loss.since)), frames]) : frames);
    } else req = b.request;
    b.attempts++;
    const out = await this.transmit(req);
    if (this.destroyed) return { next: 'idle' };
    const { health } = this.ctx;
    if (out.kind === 'delivered') {
      this.batch = undefined;
      if (b.signal === 'logs') {
        q.ack(b.block);
        q.settleLoss(true);
      } else this.ctx.signals?.ack(b.block);
      health.success();
      this.certOk();
      return { next: 'continue' };
    }
    if (out.kind === 'rejected') {
      this.batch = undefined;
      this.dropBatch(b);
      health.failure(`${out.error}: the receiver refused the ${b.signal} (${b.signal === 'logs' ? `${b.block.lines} lines dropped` : '1 request dropped'})`);
      return { next: 'continue' };
    }
    if (out.cert) this.reportCertFailure(out.cert);
    health.failure(out.error, out.cert !== undefined);
    if (b.attempts >= o.maxAttempts) {
      this.batch = undefined;
      this.dropBatch(b);
      return { next: 'wait', delayMs: this.backoff(b.attempts) };
    }
    return { next: 'wait', delayMs: Math.max(this.backoff(b.attempts), Math.min(out.retryAfterMs ?? 0, o.maxRetryAfterMs)) };
  }

  /** Lines are lost to the queue's accounting (L10 later); a passed-through request to the signal queue's. */
  private dropBatch(b: OtlpBatch): void {
    if (b.signal !== 'logs') {
      this.ctx.signals?.reject(b.block);
      return;
    }
    this.ctx.queue.reject(b.block);
    this.ctx.queue.settleLoss(false);
  }

  async test(): Promise<DrainTestResult> {
    const start = Date.now();
    const line = platformLine('logplex', `Test message from Sluice for drain ${this.ctx.token}.`);
    const out = await this.transmit(logsRequest(this.ctx.encoder.frame(line)), true);
    const tls = this.ctx.telemetry!.endpoint.startsWith('https:') ? { verified: true, insecure: false } : null;
    const base = { kind: this.kind, tls, duration_ms: elapsed(start) };
    if (out.kind === 'delivered') return { ...base, ok: true, connected: true, status: out.status, error: null };
    if (out.kind === 'rejected') return { ...base, ok: false, connected: true, status: out.status, error: out.error };
    if (out.cert) this.reportCertFailure(out.cert);
    return { ...base, ok: false, connected: out.status !== undefined, tls: out.cert ? { verified: false, insecure: false } : tls, status: out.status ?? null, error: out.error };
  }

  protected release(): void {
    // A block in flight stays first in the queue (and its loss report pending): the spool keeps it.
    const b = this.batch;
    if (b?.signal === 'logs') {
      this.ctx.queue.untake(b.block);
      this.ctx.queue.settleLoss(false);
    } else if (b) this.ctx.signals?.untake(b.block);
    this.batch = undefined;
  }
}
