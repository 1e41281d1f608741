// Syslog drains over TCP and TLS: one connection, the queue's blocks written in order, whole.
import type net from 'node:net';
import { describeError, certFailure } from '../backoff.js';
import { BaseDrain, elapsed, type StepResult } from '../base.js';
import type { DrainContext, DrainTestResult } from '../contract.js';
import type { Block } from '../queue/queue.js';
import type { Loss } from '../queue/loss.js';
import type { DrainKind } from '../url.js';
import { l10, platformLine } from '../../core/stream-errors.js';
import { connectSyslog, syslogTarget, writeAll, type SyslogTarget } from './connection.js';

/**
 * "Delivered" means the kernel accepted every byte of a block (syslog has no acknowledgement).
 * A block whose write fails because the connection broke stays first in the queue and is
 * written again, whole, on the next connection; its lines count as `resent` in health (the
 * receiver may have some of them twice). A receiver that stops reading is waited for.
 */
export class SyslogDrain extends BaseDrain {
  readonly kind: DrainKind;
  private readonly target: SyslogTarget;
  private sock: net.Socket | undefined;
  private current: { block: Block; loss: Loss | undefined; failed: boolean } | undefined;
  private failures = 0;

  constructor(ctx: DrainContext) {
    super(ctx);
    this.kind = ctx.kind;
    this.target = syslogTarget(ctx.url);
  }

  inFlight(): number {
    return this.current?.block.lines ?? 0;
  }

  protected override idle(): boolean {
    return this.current === undefined && super.idle();
  }

  private async connect(): Promise<StepResult | undefined> {
    const { health, options: o } = this.ctx;
    try {
      this.sock = await connectSyslog(this.target, { timeoutMs: o.connectTimeoutMs, ca: this.ctx.ca, denyPrivate: o.denyPrivate });
    } catch (err) {
      if (this.destroyed) return { next: 'idle' };
      const cert = certFailure(err);
      if (cert) this.reportCertFailure(cert);
      health.failure(cert ? `certificate: ${cert}` : describeError(err), cert !== undefined);
      return { next: 'wait', delayMs: this.backoff(++this.failures) };
    }
    if (this.destroyed) {
      this.sock.destroy();
      return { next: 'idle' };
    }
    this.certOk();
    const s = this.sock;
    s.on('error', () => s.destroy());
    s.on('data', () => {}); // receivers may talk; nobody listens
    s.on('end', () => s.destroy());
    return undefined;
  }

  protected async step(): Promise<StepResult> {
    const { queue: q, health, options: o } = this.ctx;
    if (!this.sock || this.sock.destroyed) {
      const r = await this.connect();
      if (r) return r;
    }
    let cur = this.current;
    if (cur === undefined) {
      const block = q.take();
      if (!block) return { next: 'idle' };
      cur = this.current = { block, loss: q.takeLoss(), failed: false };
    }
    const frames = await q.bytes(cur.block);
    if (this.destroyed) return { next: 'idle' };
    if (frames === undefined) {
      this.current = undefined; // unreadable in the spool: dropped and counted by the queue
      q.settleLoss(false);
      return { next: 'continue' };
    }
    if (cur.failed) health.resent += cur.block.lines;
    const data = cur.loss ? Buffer.concat([this.ctx.encoder.frame(l10(cur.loss.count, cur.loss.since)), frames]) : frames;
    const sock = this.sock!;
    const err = await writeAll(sock, data, o.sendTimeoutMs, (ms) => health.failure(`the receiver is not reading: a write has waited ${ms} ms`));
    if (this.destroyed) return { next: 'idle' };
    if (err === undefined) {
      this.current = undefined;
      this.failures = 0;
      q.ack(cur.block, 0, true); // the kernel took every byte (of the block, or of the L10 concat that copied it)
      q.settleLoss(true);
      health.success();
      return { next: 'continue' };
    }
    // The connection broke: the same block, whole, goes again on the next one.
    cur.failed = true;
    sock.destroy();
    this.sock = undefined;
    health.failure(err);
    return { next: 'wait', delayMs: this.backoff(++this.failures) };
  }

  async test(): Promise<DrainTestResult> {
    const start = Date.now();
    const tlsInfo = (verified: boolean) => (this.target.tls ? { verified, insecure: this.target.insecure } : null);
    let sock: net.Socket;
    try {
      sock = await connectSyslog(this.target, { timeoutMs: this.ctx.options.connectTimeoutMs, ca: this.ctx.ca, denyPrivate: this.ctx.options.denyPrivate });
    } catch (err) {
      const cert = certFailure(err);
      if (cert) this.reportCertFailure(cert);
      return {
        ok: false,
        kind: this.kind,
        connected: cert !== undefined,
        tls: cert ? tlsInfo(false) : null,
        status: null,
        error: cert ? `certificate: ${cert}` : describeError(err),
        duration_ms: elapsed(start),
      };
    }
    const line = platformLine('logplex', `Test message from Sluice for drain ${this.ctx.token}.`);
    const timeoutMs = this.ctx.options.sendTimeoutMs;
    const err = await Promise.race([
      writeAll(sock, this.ctx.encoder.frame(line), timeoutMs),
      new Promise<string>((r) => setTimeout(() => r(`write not completed within ${timeoutMs} ms`), timeoutMs).unref()),
    ]);
    sock.end();
    setTimeout(() => sock.destroy(), 1_000).unref();
    return {
      ok: err === undefined,
      kind: this.kind,
      connected: true,
      tls: tlsInfo(!this.target.insecure),
      status: null,
      error: err ?? null,
      duration_ms: elapsed(start),
    };
  }

  protected release(): void {
    // A block being written stays first in the queue; the spool keeps it for the next start.
    if (this.current) {
      this.ctx.queue.untake(this.current.block);
      this.ctx.queue.settleLoss(false);
      this.current = undefined;
    }
    // end() lets the kernel send what was written; destroy() after a short grace.
    const s = this.sock;
    this.sock = undefined;
    if (s) {
      s.end();
      setTimeout(() => s.destroy(), 2_000).unref();
    }
  }
}
