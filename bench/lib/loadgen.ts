// Load generator: fixed-size octet-counted RFC 5424 lines sent over TCP, UDP and HTTP POST /logs.

import net from 'node:net';
import dgram from 'node:dgram';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** Bytes of one RFC 5424 message (what the octet count counts), the "200-byte line". */
export const LINE_BYTES = 200;

/**
 * Wall-clock microseconds since the epoch. Epoch-based rather than hrtime so that a sink in
 * another thread or process on the same box can subtract it; sub-ms precision from perf_hooks.
 */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

const SEQ_DIGITS = 10;
const TIME_DIGITS = 16;

export interface LineSpec {
  /** APP-NAME: a log token `t.…` for Sluice input, any token for a relay. */
  appName: string;
  /** PROCID; `web.1` unless told. */
  procid?: string;
  /** Bytes of the RFC 5424 message, LEN of the frame. */
  lineBytes?: number;
}

/**
 * Builds frames `LEN SP <190>1 TIME bench APP web.1 - - seq=S t=T xxxx…` of a constant size.
 * Sequence number and send time are fixed-width digits patched into a template, so building a
 * 64 KiB chunk is a memcpy plus a few digit writes: the generator must never be the bottleneck.
 */
export class LineFactory {
  readonly lineBytes: number;
  readonly frameBytes: number;
  private readonly template: Buffer;
  private readonly seqOffset: number;
  private readonly timeOffset: number;

  constructor(spec: LineSpec) {
    this.lineBytes = spec.lineBytes ?? LINE_BYTES;
    const procid = spec.procid ?? 'web.1';
    // A fixed header timestamp: Sluice passes producers' timestamps through untouched.
    const stamp = '2026-01-01T00:00:00.000000+00:00';
    const head = `<190>1 ${stamp} bench ${spec.appName} ${procid} - - seq=`;
    const mid = ' t=';
    const fixed = head.length + SEQ_DIGITS + mid.length + TIME_DIGITS + 1;
    if (fixed > this.lineBytes) throw new Error(`line of ${this.lineBytes} bytes cannot hold the header (${fixed})`);
    const line = head + '0'.repeat(SEQ_DIGITS) + mid + '0'.repeat(TIME_DIGITS) + ' ' + 'x'.repeat(this.lineBytes - fixed);
    const prefix = `${this.lineBytes} `;
    this.template = Buffer.from(prefix + line, 'latin1');
    this.frameBytes = this.template.length;
    this.seqOffset = prefix.length + head.length;
    this.timeOffset = this.seqOffset + SEQ_DIGITS + mid.length;
  }

  /**
   * `count` frames with sequence numbers from `firstSeq`, all stamped `stamp`, written at the
   * start of `into` when given (a sender that reuses its buffer: a fresh 100 KiB one per batch
   * costs page faults, glibc handing such memory back to the kernel on every free).
   */
  build(firstSeq: number, count: number, stamp: number = nowMicros(), into?: Buffer): Buffer {
    const size = count * this.frameBytes;
    const out = into !== undefined && into.length >= size ? into.subarray(0, size) : Buffer.allocUnsafe(size);
    for (let i = 0; i < count; i++) {
      const base = i * this.frameBytes;
      this.template.copy(out, base);
      writeDigits(out, base + this.seqOffset, SEQ_DIGITS, firstSeq + i);
      writeDigits(out, base + this.timeOffset, TIME_DIGITS, stamp);
    }
    return out;
  }

  /** The bare message (no length prefix), for UDP where one datagram is one message. */
  buildMessage(seq: number, stamp: number = nowMicros()): Buffer {
    const frame = this.build(seq, 1, stamp);
    return frame.subarray(frame.length - this.lineBytes);
  }
}

function writeDigits(buf: Buffer, at: number, width: number, value: number): void {
  let v = value;
  for (let i = at + width - 1; i >= at; i--) {
    buf[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
}

export interface SendResult {
  lines: number;
  bytes: number;
  /** performance.now() at the first write and after the last write was flushed or answered. */
  startedAt: number;
  endedAt: number;
  /** HTTP only: requests answered with something other than 204, and a sample of their bodies. */
  rejected: number;
  rejections: string[];
}

export interface SendOptions {
  host: string;
  port: number;
  factory: LineFactory;
  lines: number;
  /** First sequence number; lets several runs share one sink without colliding. */
  firstSeq?: number;
  /** Lines per second; unpaced (as fast as backpressure allows) when absent. */
  rate?: number;
  /** Give up (reject) after this many ms so no run can hang the bench. */
  deadlineMs?: number;
}

const TCP_CHUNK_LINES = 320; // ≈ 64 KiB writes: big enough to amortise syscalls, small enough to pace

/** Streams all lines over one TCP connection, waiting for 'drain' whenever write() says so. */
export async function sendTcp(opts: SendOptions): Promise<SendResult> {
  const deadline = performance.now() + (opts.deadlineMs ?? 120_000);
  const socket = net.connect({ host: opts.host, port: opts.port });
  socket.setNoDelay(true);
  await onceOrError(socket, 'connect');
  const startedAt = performance.now();
  const pacer = opts.rate ? new Pacer(opts.rate) : undefined;
  let sent = 0;
  const first = opts.firstSeq ?? 0;
  while (sent < opts.lines) {
    if (performance.now() > deadline) {
      socket.destroy();
      throw new Error(`sendTcp: deadline passed after ${sent} of ${opts.lines} lines`);
    }
    let n = Math.min(TCP_CHUNK_LINES, opts.lines - sent);
    if (pacer) {
      n = Math.min(n, await pacer.budget(sent));
      if (n === 0) continue;
    }
    const ok = socket.write(opts.factory.build(first + sent, n));
    sent += n;
    if (!ok) await onceOrError(socket, 'drain');
  }
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.end(() => resolve());
  });
  return { lines: sent, bytes: sent * opts.factory.frameBytes, startedAt, endedAt: performance.now(), rejected: 0, rejections: [] };
}

/** One message per datagram. UDP has no backpressure, so yield to the loop every batch. */
export async function sendUdp(opts: SendOptions): Promise<SendResult> {
  const deadline = performance.now() + (opts.deadlineMs ?? 120_000);
  const socket = dgram.createSocket('udp4');
  const startedAt = performance.now();
  const pacer = opts.rate ? new Pacer(opts.rate, 64) : undefined;
  let sent = 0;
  const first = opts.firstSeq ?? 0;
  try {
    while (sent < opts.lines) {
      if (performance.now() > deadline) throw new Error(`sendUdp: deadline passed after ${sent} lines`);
      let n = Math.min(64, opts.lines - sent);
      if (pacer) {
        n = Math.min(n, await pacer.budget(sent));
        if (n === 0) continue;
      }
      const stamp = nowMicros();
      const sends: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        const msg = opts.factory.buildMessage(first + sent + i, stamp);
        sends.push(new Promise((resolve, reject) => socket.send(msg, opts.port, opts.host, (err) => (err ? reject(err) : resolve()))));
      }
      await Promise.all(sends);
      sent += n;
    }
  } finally {
    socket.close();
  }
  return { lines: sent, bytes: sent * opts.factory.lineBytes, startedAt, endedAt: performance.now(), rejected: 0, rejections: [] };
}

export interface HttpSendOptions extends SendOptions {
  /** Log token `t.…`, sent as Basic `token:<t>`. */
  token: string;
  /** Frames per POST; log-shuttle's default is 500. */
  batch?: number;
  /** Concurrent keep-alive connections (log-shuttle uses 4 outlets). */
  connections?: number;
}

/** POST /logs batches from several keep-alive connections; counts non-204 answers. */
export async function sendHttp(opts: HttpSendOptions): Promise<SendResult> {
  const deadline = performance.now() + (opts.deadlineMs ?? 120_000);
  const batch = opts.batch ?? 500;
  const connections = opts.connections ?? 4;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const auth = 'Basic ' + Buffer.from(`token:${opts.token}`).toString('base64');
  const first = opts.firstSeq ?? 0;
  const startedAt = performance.now();
  const pacer = opts.rate ? new Pacer(opts.rate, batch) : undefined;
  let next = 0; // lines handed to a worker so far; single-threaded, so no race
  let rejected = 0;
  const rejections: string[] = [];

  const worker = async (): Promise<void> => {
    // One body buffer per connection, reused: the answer comes after Sluice read the whole body,
    // so the last request's bytes are no longer needed when the next is built.
    const scratch = Buffer.allocUnsafe(batch * opts.factory.frameBytes);
    while (next < opts.lines) {
      if (performance.now() > deadline) throw new Error(`sendHttp: deadline passed after ${next} lines`);
      let n = Math.min(batch, opts.lines - next);
      if (pacer) {
        n = Math.min(n, await pacer.budget(next));
        if (n === 0 || next >= opts.lines) continue;
        n = Math.min(n, opts.lines - next);
      }
      const seq = next;
      next += n;
      const body = opts.factory.build(first + seq, n, undefined, scratch);
      const res = await post(agent, opts.host, opts.port, body, {
        Authorization: auth,
        'Content-Type': 'application/logplex-1',
        'Logplex-Msg-Count': String(n),
        'Content-Length': String(body.length),
      });
      if (res.status !== 204) {
        rejected++;
        if (rejections.length < 5) rejections.push(`${res.status} ${res.body.slice(0, 200)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    agent.destroy();
  }
  return { lines: opts.lines, bytes: opts.lines * opts.factory.frameBytes, startedAt, endedAt: performance.now(), rejected, rejections };
}

function post(agent: http.Agent, host: string, port: number, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: '/logs', method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('POST /logs timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Paces a sender to `rate` lines/s. `budget(sent)` says how many lines may go now, sleeping 1 ms
 * (a timer's floor) when none may, so a paced sender releases about 1 ms of lines at once, as a
 * busy producer would. A sender that fell behind (its own process descheduled, a GC pause) does
 * not catch up in one burst: whatever it owes beyond `burstMs` of lines is forgiven, so the
 * offered load stays a rate rather than a test of burst absorption. Forgiven lines lower the
 * achieved rate, which the paced searches check (a rate not really offered does not count).
 * 10 ms: at 2 ms a sender sharing its process with a busy sink (its 1 ms timers firing 2–3 ms
 * late) was forgiven ~7% of its lines and could not offer even 50,000 lines/s.
 */
export class Pacer {
  private origin = performance.now();
  private readonly cap: number;

  /** `minBurst`: lines the sender must be able to send at once (a POST's batch). */
  constructor(
    private readonly rate: number,
    minBurst = 1,
    burstMs = 10,
  ) {
    this.cap = Math.max(minBurst, Math.ceil((rate * burstMs) / 1000));
  }

  async budget(sent: number): Promise<number> {
    let allowed = Math.floor(((performance.now() - this.origin) / 1000) * this.rate) - sent;
    if (allowed > this.cap) {
      this.origin += ((allowed - this.cap) / this.rate) * 1000;
      allowed = this.cap;
    }
    if (allowed > 0) return allowed;
    await new Promise((r) => setTimeout(r, 1));
    return 0;
  }
}

function onceOrError(emitter: net.Socket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onEvent = (): void => {
      emitter.off('error', onError);
      emitter.off('close', onClose);
      resolve();
    };
    const onError = (err: Error): void => {
      emitter.off(event, onEvent);
      emitter.off('close', onClose);
      reject(err);
    };
    const onClose = (): void => onError(new Error(`socket closed while waiting for ${event}`));
    emitter.once(event, onEvent);
    emitter.once('error', onError);
    emitter.once('close', onClose);
  });
}
