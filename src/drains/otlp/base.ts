// What both telemetry drain kinds share: log batches and passed-through traces/metrics, retried per the drain policy.
import { platformLine } from '../../core/stream-errors.js';
import type { SignalPayload } from '../../wire/otlp/types.js';
import { BaseDrain, elapsed, type StepResult } from '../base.js';
import type { DrainContext, DrainTestResult } from '../contract.js';
import { encodeLogsRequest } from '../../wire/otlp/logs-out.js';
import { signalBatch, takeLogsBatch, type OtlpBatch } from './batch.js';

export type OtlpOutcome =
  | { kind: 'delivered'; status: number }
  /** The receiver will never take it (HTTP 4xx other than 408/429, a non-retryable gRPC code). */
  | { kind: 'rejected'; status: number; error: string }
  | { kind: 'retry'; error: string; status?: number; retryAfterMs?: number; cert?: string };

/** Passed-through traces and metrics wait here, bounded by bytes: past it the oldest is dropped (counted). */
const SIGNAL_QUEUE_BYTES = 8 * 1024 * 1024;

export abstract class OtlpDrain extends BaseDrain {
  private batch: OtlpBatch | undefined;
  private signals: OtlpBatch[] = [];
  private signalBytes = 0;
  /** Passed-through requests lost (queue full, refused, out of retries); requests, not lines. */
  signalsDropped = 0;

  constructor(ctx: DrainContext) {
    super(ctx);
    if (!ctx.telemetry) throw new Error('a telemetry drain needs its exporter configuration');
  }

  /** Sends one request; must not throw. `client` set: a one-off connection (the drain test). */
  protected abstract transmit(b: OtlpBatch, oneOff?: boolean): Promise<OtlpOutcome>;

  inFlight(): number {
    return this.batch?.lines ?? 0;
  }

  protected override idle(): boolean {
    return this.batch === undefined && this.signals.length === 0 && super.idle();
  }

  pushSignal(p: SignalPayload): void {
    this.signals.push(signalBatch(p));
    this.signalBytes += p.body.length;
    while (this.signalBytes > SIGNAL_QUEUE_BYTES && this.signals.length > 1) {
      this.signalBytes -= this.signals.shift()!.body.length;
      this.signalsDropped++;
    }
    this.kick();
  }

  protected async step(): Promise<StepResult> {
    const o = this.ctx.options;
    if (!this.batch) {
      const sig = this.signals.shift();
      if (sig) this.signalBytes -= sig.body.length;
      this.batch = sig ?? takeLogsBatch(this.ctx.buffer, this.ctx.telemetry!.appName, o.batchMaxBytes, o.batchMaxMessages);
    }
    const b = this.batch;
    if (!b) return { next: 'idle' };
    b.attempts++;
    const out = await this.transmit(b);
    if (this.destroyed) return { next: 'idle' };
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
      health.failure(`${out.error}: the receiver refused the ${b.signal} (${b.lines ? `${b.lines} lines dropped` : '1 request dropped'})`);
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

  private dropBatch(b: OtlpBatch): void {
    if (b.signal !== 'logs') {
      this.signalsDropped++;
      return;
    }
    this.ctx.buffer.restore(b.loss);
    this.ctx.buffer.drop(b.lines);
  }

  async test(): Promise<DrainTestResult> {
    const start = Date.now();
    const line = platformLine('logplex', `Test message from Sluice for drain ${this.ctx.token}.`);
    const b: OtlpBatch = {
      signal: 'logs',
      body: encodeLogsRequest(this.ctx.telemetry!.appName, [line]),
      contentType: 'application/x-protobuf',
      contentEncoding: undefined,
      lines: 1,
      loss: undefined,
      attempts: 1,
    };
    const out = await this.transmit(b, true);
    const tls = this.ctx.telemetry!.endpoint.startsWith('https:') ? { verified: true, insecure: false } : null;
    const base = { kind: this.kind, tls, duration_ms: elapsed(start) };
    if (out.kind === 'delivered') return { ...base, ok: true, connected: true, status: out.status, error: null };
    if (out.kind === 'rejected') return { ...base, ok: false, connected: true, status: out.status, error: out.error };
    if (out.cert) this.reportCertFailure(out.cert);
    return { ...base, ok: false, connected: out.status !== undefined, tls: out.cert ? { verified: false, insecure: false } : tls, status: out.status ?? null, error: out.error };
  }

  protected release(): void {
    if (this.batch) this.dropBatch(this.batch);
    this.batch = undefined;
    this.signalsDropped += this.signals.length;
    this.signals = [];
    this.signalBytes = 0;
  }
}
