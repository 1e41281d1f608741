// Syslog drains over TCP and TLS: one connection, octet-counted frames, reconnect with backoff.
import type net from 'node:net';
import { describeError, certFailure } from '../backoff.js';
import { BaseDrain, elapsed, type StepResult } from '../base.js';
import type { DrainContext, DrainTestResult } from '../contract.js';
import type { DrainKind } from '../url.js';
import { platformLine } from '../../core/stream-errors.js';
import { formatSyslogDrainMessage } from '../../wire/drain-format.js';
import { frame } from '../http/encoder.js';
import { connectSyslog, syslogTarget, writeAll, type SyslogTarget } from './connection.js';
import { takeSyslogChunk, type SyslogChunk } from './encoder.js';

/**
 * "Delivered" means the kernel accepted the bytes (syslog has no acknowledgement). A chunk whose
 * write fails is counted as dropped and reported in the next L10: it may or may not have arrived.
 */
export class SyslogDrain extends BaseDrain {
  readonly kind: DrainKind;
  private readonly target: SyslogTarget;
  private sock: net.Socket | undefined;
  private chunk: SyslogChunk | undefined;
  private failures = 0;

  constructor(ctx: DrainContext) {
    super(ctx);
    this.kind = ctx.kind;
    this.target = syslogTarget(ctx.url);
  }

  inFlight(): number {
    return this.chunk?.lines ?? 0;
  }

  protected async step(): Promise<StepResult> {
    const { buffer, health, options: o } = this.ctx;
    if (!this.sock || this.sock.destroyed) {
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
    }
    const chunk = (this.chunk = takeSyslogChunk(buffer, this.ctx.token, o.writeMaxBytes));
    if (!chunk) return { next: 'idle' };
    const err = await writeAll(this.sock, chunk.data, o.sendTimeoutMs);
    if (this.destroyed) return { next: 'idle' };
    this.chunk = undefined;
    if (err === undefined) {
      this.failures = 0;
      health.success(chunk.lines);
      return { next: 'continue' };
    }
    buffer.restore(chunk.loss);
    buffer.drop(chunk.lines);
    this.sock.destroy();
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
    const err = await writeAll(sock, Buffer.from(frame(formatSyslogDrainMessage(line, this.ctx.token)).text, 'utf8'), this.ctx.options.sendTimeoutMs);
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
    if (this.chunk) {
      this.ctx.buffer.restore(this.chunk.loss);
      this.ctx.buffer.drop(this.chunk.lines);
      this.chunk = undefined;
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
