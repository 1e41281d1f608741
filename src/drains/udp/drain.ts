// Syslog over UDP: one datagram per message, no framing, no acknowledgement (SPEC §4.2).
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { platformLine, l10 } from '../../core/stream-errors.js';
import type { LogLine } from '../../core/log-line.js';
import { resolveDrainHost } from '../address-guard.js';
import { describeError } from '../backoff.js';
import { BaseDrain, elapsed, type StepResult } from '../base.js';
import type { DrainContext, DrainTestResult } from '../contract.js';
import { syslogTarget, type SyslogTarget } from '../syslog/connection.js';
import { splitFrames } from '../encoder.js';

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

  /** The message of a line Sluice writes itself, without the octet count. */
  private datagram(line: LogLine): Buffer {
    return splitFrames(this.ctx.encoder.frame(line))[0];
  }

  protected async step(): Promise<StepResult> {
    const { queue: q, health } = this.ctx;
    let s: { socket: dgram.Socket; address: string };
    try {
      s = await this.open();
    } catch (err) {
      health.failure(describeError(err));
      return { next: 'wait', delayMs: this.backoff(++this.failures) };
    }
    if (this.destroyed) return { next: 'idle' };
    const block = q.take();
    if (!block) return { next: 'idle' };
    const frames = await q.bytes(block);
    if (this.destroyed) {
      q.untake(block);
      return { next: 'idle' };
    }
    if (frames === undefined) return { next: 'continue' }; // unreadable: dropped and counted
    const loss = q.takeLoss();
    const messages = splitFrames(frames);
    const datagrams = loss ? [this.datagram(l10(loss.count, loss.since)), ...messages] : messages;
    const tooBig = datagrams.filter((d) => d.length > MAX_DATAGRAM).length;
    this.sending = block.lines;
    // One block (a socket write's worth) per step: each send waits for the kernel.
    const errors = await Promise.all(datagrams.filter((d) => d.length <= MAX_DATAGRAM).map((d) => this.send(s.socket, s.address, d)));
    this.sending = 0;
    const failed = errors.filter((e) => e !== null);
    // UDP has no retry: what the kernel refused is lost, counted like a too-large datagram.
    q.ack(block, Math.min(block.lines, failed.length + tooBig), true); // every send's callback came: the bytes are free
    q.settleLoss(true);
    if (this.destroyed) return { next: 'idle' };
    if (failed.length === 0) {
      this.failures = 0;
      health.success();
      return { next: 'continue' };
    }
    health.failure(describeError(failed[0]));
    return { next: 'wait', delayMs: this.backoff(++this.failures) };
  }

  async test(): Promise<DrainTestResult> {
    const start = Date.now();
    try {
      const s = await this.open();
      const line = platformLine('logplex', `Test message from Sluice for drain ${this.ctx.token}.`);
      const err = await this.send(s.socket, s.address, this.datagram(line));
      return { ok: !err, kind: this.kind, connected: !err, tls: null, status: null, error: err ? describeError(err) : null, duration_ms: elapsed(start) };
    } catch (err) {
      return { ok: false, kind: this.kind, connected: false, tls: null, status: null, error: describeError(err), duration_ms: elapsed(start) };
    }
  }

  protected release(): void {
    this.sending = 0;
    const s = this.socket;
    this.socket = undefined;
    // Let in-flight sends finish before closing.
    if (s) setTimeout(() => s.close(), 100).unref();
  }
}
