// Syslog over UDP: one datagram per message, no framing, no acknowledgement (SPEC §4.2).
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { platformLine, l10 } from '../../core/stream-errors.js';
import { resolveDrainHost } from '../address-guard.js';
import { describeError } from '../backoff.js';
import { BaseDrain, elapsed, type StepResult } from '../base.js';
import type { DrainContext, DrainTestResult } from '../contract.js';
import { syslogTarget, type SyslogTarget } from '../syslog/connection.js';
import { syslogDatagram } from '../syslog/encoder.js';

/** Datagrams sent per step; each waits for the kernel, so a burst cannot pile up promises. */
const PER_STEP = 256;
/** Larger datagrams cannot be sent over IPv4; such lines are dropped and counted. */
const MAX_DATAGRAM = 65_507;

export class UdpDrain extends BaseDrain {
  readonly kind = 'syslog+udp' as const;
  private readonly target: SyslogTarget;
  private socket: dgram.Socket | undefined;
  private address: string | undefined;
  private sending = 0;
  private failures = 0;

  constructor(ctx: DrainContext) {
    super(ctx);
    this.target = syslogTarget(ctx.url);
  }

  inFlight(): number {
    return this.sending;
  }

  private async open(): Promise<{ socket: dgram.Socket; address: string }> {
    if (this.socket && this.address) return { socket: this.socket, address: this.address };
    const address = await resolveDrainHost(this.target.host, this.ctx.options.denyPrivate);
    const socket = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    socket.on('error', () => {}); // ICMP unreachable etc.: UDP gives no delivery guarantee
    socket.unref();
    this.socket = socket;
    this.address = address;
    return { socket, address };
  }

  private send(socket: dgram.Socket, address: string, data: Buffer): Promise<Error | null> {
    return new Promise((resolve) => socket.send(data, this.target.port, address, (err) => resolve(err)));
  }

  protected async step(): Promise<StepResult> {
    const { buffer, health } = this.ctx;
    let s: { socket: dgram.Socket; address: string };
    try {
      s = await this.open();
    } catch (err) {
      health.failure(describeError(err));
      return { next: 'wait', delayMs: this.backoff(++this.failures) };
    }
    if (this.destroyed) return { next: 'idle' };
    const datagrams: Buffer[] = [];
    if (buffer.length === 0) return { next: 'idle' };
    const loss = buffer.takeLoss();
    if (loss) datagrams.push(syslogDatagram(l10(loss.count, loss.since), this.ctx.token));
    let tooBig = 0;
    while (datagrams.length < PER_STEP && buffer.length > 0) {
      const d = syslogDatagram(buffer.shift()!, this.ctx.token);
      if (d.length > MAX_DATAGRAM) tooBig++;
      else datagrams.push(d);
    }
    buffer.drop(tooBig);
    const lines = datagrams.length - (loss ? 1 : 0);
    this.sending = lines;
    const errors = await Promise.all(datagrams.map((d) => this.send(s.socket, s.address, d)));
    this.sending = 0;
    if (this.destroyed) return { next: 'idle' };
    const failed = errors.filter((e) => e !== null);
    if (failed.length === 0) {
      this.failures = 0;
      health.success(lines);
      return { next: 'continue' };
    }
    const lostLines = Math.min(failed.length, lines);
    buffer.drop(lostLines);
    if (lines - lostLines > 0) health.success(lines - lostLines);
    health.failure(describeError(failed[0]));
    return { next: 'wait', delayMs: this.backoff(++this.failures) };
  }

  async test(): Promise<DrainTestResult> {
    const start = Date.now();
    try {
      const s = await this.open();
      const line = platformLine('logplex', `Test message from Sluice for drain ${this.ctx.token}.`);
      const err = await this.send(s.socket, s.address, syslogDatagram(line, this.ctx.token));
      return { ok: !err, kind: this.kind, connected: !err, tls: null, status: null, error: err ? describeError(err) : null, duration_ms: elapsed(start) };
    } catch (err) {
      return { ok: false, kind: this.kind, connected: false, tls: null, status: null, error: describeError(err), duration_ms: elapsed(start) };
    }
  }

  protected release(): void {
    const s = this.socket;
    this.socket = undefined;
    // Let in-flight sends finish before closing.
    if (s) setTimeout(() => s.close(), 100).unref();
  }
}
