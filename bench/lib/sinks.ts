// Counting sinks on 127.0.0.1: a syslog TCP receiver and an HTTP logplex-1 receiver.

import net from 'node:net';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { nowMicros } from './loadgen.js';

export interface SinkOptions {
  /** Record per-line latency from the `t=` stamp the load generator embeds (costs a scan per line). */
  latency?: boolean;
  /** Capacity of the latency record; later lines are counted but not recorded. */
  maxSamples?: number;
  /** Listen on this port (an outage run brings a receiver back where the drain points); default any. */
  port?: number;
  /** Check the `seq=` numbers arrive in order (parses every message; see `order`). */
  order?: boolean;
}

/** What an order-checking sink saw of the `seq=` numbers. */
export interface OrderReport {
  /** Distinct lines: each seq counted once. */
  distinct: number;
  /** Highest seq seen (-1: none). */
  maxSeq: number;
  /** A seq more than one past the highest before it (lines skipped or reordered). */
  gaps: number;
  /** A seq at or below the highest before it (a redelivery, allowed by at-least-once). */
  repeats: number;
}

export interface WaitResult {
  reached: boolean;
  count: number;
  /** performance.now() when the expected count arrived (or the deadline passed). */
  at: number;
}

/** Shared counting, latency recording and "resolve when N lines arrived" for both sinks. */
export abstract class CountingSink {
  count = 0;
  bytes = 0;
  firstAt = 0;
  lastAt = 0;
  port = 0;
  private samples: Float64Array;
  private sampleCount = 0;
  private waiters: { target: number; resolve: (r: WaitResult) => void; timer: NodeJS.Timeout }[] = [];
  protected readonly latency: boolean;
  protected readonly ordered: boolean;
  readonly order: OrderReport = { distinct: 0, maxSeq: -1, gaps: 0, repeats: 0 };

  constructor(opts: SinkOptions) {
    this.latency = opts.latency ?? false;
    this.ordered = opts.order ?? false;
    this.samples = new Float64Array(this.latency ? (opts.maxSamples ?? 2_000_000) : 0);
  }

  /** Resolves when `count` reaches `target`, or with reached=false after `timeoutMs`. */
  waitFor(target: number, timeoutMs: number): Promise<WaitResult> {
    if (this.count >= target) return Promise.resolve({ reached: true, count: this.count, at: this.lastAt });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        resolve({ reached: false, count: this.count, at: performance.now() });
      }, timeoutMs);
      this.waiters.push({ target, resolve, timer });
    });
  }

  /**
   * For a sender that has finished: resolves once `target` lines have arrived, or once nothing
   * has arrived for `idleMs` (a lossy hop dropped the rest), or at `timeoutMs`. `at` is then the
   * last arrival, so throughput counts only time in which lines were still coming.
   */
  async settle(target: number, idleMs: number, timeoutMs: number): Promise<WaitResult> {
    const t0 = performance.now();
    const deadline = t0 + timeoutMs;
    for (;;) {
      if (this.count >= target) return { reached: true, count: this.count, at: this.lastAt };
      const now = performance.now();
      if (now - Math.max(this.lastAt, t0) > idleMs || now > deadline) return { reached: false, count: this.count, at: this.lastAt };
      await new Promise((r) => setTimeout(r, Math.min(10, idleMs / 4)));
    }
  }

  /** Lines counted so far; async so that a sink in another process (ChildSink) has the same shape. */
  counted(): Promise<number> {
    return Promise.resolve(this.count);
  }

  /** Forget counts and samples between runs that share one sink. */
  reset(): void {
    this.count = 0;
    this.bytes = 0;
    this.firstAt = 0;
    this.lastAt = 0;
    this.sampleCount = 0;
  }

  /** Latency percentiles in ms over the recorded lines (sorted copy; fine for ≤ a few million). */
  percentiles(ps: number[]): number[] {
    const sorted = this.samples.slice(0, this.sampleCount).sort();
    return ps.map((p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]));
  }

  get samplesRecorded(): number {
    return this.sampleCount;
  }

  protected added(lines: number, bytes: number): void {
    const now = performance.now();
    if (this.count === 0) this.firstAt = now;
    this.count += lines;
    this.bytes += bytes;
    this.lastAt = now;
    if (this.waiters.length === 0) return;
    const due = this.waiters.filter((w) => this.count >= w.target);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => this.count < w.target);
    for (const w of due) {
      clearTimeout(w.timer);
      w.resolve({ reached: true, count: this.count, at: now });
    }
  }

  /** Reads `t=<16 digits>` out of one message and records now − t in ms. */
  protected recordLatency(msg: Buffer, start: number, end: number, nowUs: number): void {
    if (this.sampleCount >= this.samples.length) return;
    const at = msg.indexOf(T_MARK, start);
    if (at < 0 || at + T_MARK.length + 16 > end) return;
    let t = 0;
    for (let i = at + T_MARK.length, e = i + 16; i < e; i++) t = t * 10 + (msg[i] - 48);
    this.samples[this.sampleCount++] = (nowUs - t) / 1000;
  }

  /** Reads `seq=<10 digits>` out of one message and updates `order`. */
  protected checkOrder(msg: Buffer, start: number, end: number): void {
    const at = msg.indexOf(SEQ_MARK, start);
    if (at < 0 || at + SEQ_MARK.length + 10 > end) return;
    let seq = 0;
    for (let i = at + SEQ_MARK.length, e = i + 10; i < e; i++) seq = seq * 10 + (msg[i] - 48);
    const o = this.order;
    if (seq <= o.maxSeq) {
      o.repeats++;
      return;
    }
    if (o.maxSeq >= 0 && seq !== o.maxSeq + 1) o.gaps++;
    o.maxSeq = seq;
    o.distinct++;
  }

  /** The per-message hook for FrameCounter: latency and/or order, or null when neither is wanted. */
  protected messageHook(now: () => number): ((msg: Buffer, start: number, end: number) => void) | null {
    if (this.latency && this.ordered)
      return (m, s, e) => {
        this.recordLatency(m, s, e, now());
        this.checkOrder(m, s, e);
      };
    if (this.latency) return (m, s, e) => this.recordLatency(m, s, e, now());
    if (this.ordered) return (m, s, e) => this.checkOrder(m, s, e);
    return null;
  }

  abstract close(): Promise<void>;
}

const T_MARK = Buffer.from(' t=');
const SEQ_MARK = Buffer.from('seq=');

/**
 * Parses a stream of RFC 6587 frames. Octet counting is decided per frame (leading digit), as
 * Sluice's own input does; anything else is taken as one LF-terminated line. Only the length
 * prefixes are read on the fast path; message bytes are skipped unless latency is recorded.
 */
export class FrameCounter {
  private state: 'start' | 'len' | 'body' | 'lf' = 'start';
  private len = 0;
  private remaining = 0;
  private lfBytes = 0;
  private partial: Buffer[] = [];

  constructor(
    private readonly onFrame: (lines: number, bytes: number) => void,
    private readonly onMessage: ((msg: Buffer, start: number, end: number) => void) | null,
  ) {}

  push(chunk: Buffer): void {
    let i = 0;
    let frames = 0;
    let bytes = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case 'start': {
          const c = chunk[i];
          if (c >= 49 && c <= 57) {
            this.state = 'len';
            this.len = 0;
          } else if (c === 10) {
            i++; // stray newline between frames
          } else {
            this.state = 'lf';
            this.partial.length = 0;
            this.lfBytes = 0;
          }
          break;
        }
        case 'len': {
          const c = chunk[i++];
          if (c === 32) {
            this.state = 'body';
            this.remaining = this.len;
            this.partial.length = 0;
          } else this.len = this.len * 10 + (c - 48);
          break;
        }
        case 'body': {
          const take = Math.min(this.remaining, n - i);
          if (this.onMessage) {
            if (take === this.remaining && this.partial.length === 0) this.onMessage(chunk, i, i + take);
            else {
              this.partial.push(chunk.subarray(i, i + take));
              if (take === this.remaining) {
                const whole = Buffer.concat(this.partial);
                this.onMessage(whole, 0, whole.length);
                this.partial.length = 0;
              }
            }
          }
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            frames++;
            bytes += this.len;
            this.state = 'start';
          }
          break;
        }
        case 'lf': {
          const nl = chunk.indexOf(10, i);
          const end = nl < 0 ? n : nl;
          if (this.onMessage) this.partial.push(chunk.subarray(i, end));
          this.lfBytes += end - i;
          if (nl < 0) {
            i = n;
            break;
          }
          if (this.onMessage) {
            const whole = Buffer.concat(this.partial);
            this.onMessage(whole, 0, whole.length);
          }
          this.partial.length = 0;
          frames++;
          bytes += this.lfBytes;
          i = nl + 1;
          this.state = 'start';
          break;
        }
      }
    }
    if (frames > 0) this.onFrame(frames, bytes);
  }
}

/** A syslog TCP receiver: counts octet-counted (or LF) frames from any number of connections. */
export class TcpSink extends CountingSink {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  /** A receiver that stops reading: connections are accepted and left unread until `resume`. */
  private paused = false;

  static async start(opts: SinkOptions = {}): Promise<TcpSink> {
    const sink = new TcpSink(opts);
    await sink.listen();
    return sink;
  }

  private async listen(): Promise<void> {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      if (this.paused) socket.pause();
      let nowUs = 0;
      const counter = new FrameCounter(
        (lines, bytes) => this.added(lines, bytes),
        this.messageHook(() => nowUs),
      );
      socket.on('data', (chunk: Buffer) => {
        if (this.latency) nowUs = nowMicros(); // one clock read per chunk, not per line
        counter.push(chunk);
      });
      socket.on('error', () => socket.destroy());
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Stops reading every connection, open and future (the kernel's buffers fill, then the sender waits). */
  pause(): void {
    this.paused = true;
    for (const s of this.sockets) s.pause();
  }

  resume(): void {
    this.paused = false;
    for (const s of this.sockets) s.resume();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** An HTTP drain receiver: answers 200 and counts `Logplex-Msg-Count` (or the frames it parses). */
export class HttpSink extends CountingSink {
  private server: http.Server | null = null;
  requests = 0;
  /** Requests with no usable Logplex-Msg-Count header; their frames are counted by parsing. */
  uncounted = 0;

  static async start(opts: SinkOptions = {}): Promise<HttpSink> {
    const sink = new HttpSink(opts);
    await sink.listen(opts.port ?? 0);
    return sink;
  }

  private async listen(port: number): Promise<void> {
    this.server = http.createServer((req, res) => {
      const header = Number(req.headers['logplex-msg-count']);
      const trusted = Number.isInteger(header) && header >= 0 && !this.latency && !this.ordered;
      let bytes = 0;
      let frames = 0;
      let nowUs = 0;
      const counter = trusted
        ? null
        : new FrameCounter(
            (n) => (frames += n),
            this.messageHook(() => nowUs),
          );
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (counter) {
          if (this.latency) nowUs = nowMicros();
          counter.push(chunk);
        }
      });
      req.on('end', () => {
        this.requests++;
        if (!trusted && !Number.isInteger(header)) this.uncounted++;
        res.writeHead(200, { 'Content-Length': '0' });
        res.end();
        this.added(trusted ? header : frames, bytes);
      });
      req.on('error', () => res.destroy());
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
