// Lines batched per subject and published to a JetStream stream: one flush in flight, bounded queue, requeue on failure.
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { LogLine } from '../../core/log-line.js';
import { encodeLines } from './lines.js';
import type { NatsLink } from './link.js';

/** The header naming the node that published a batch (a node's tails skip their own). */
export const NODE_HEADER = 'Sluice-Node';

export interface BatcherOptions {
  node: string;
  /** The subject of an app's lines. */
  subject: (appId: string) => string;
  flushMs?: number;
  /** Lines waiting across all apps; beyond this new lines are dropped and counted. */
  maxPending?: number;
  /** At most this many lines of one app are worth keeping in the queue (history keeps 1,500). */
  keepPerApp?: number;
  /** At most this many bytes of lines per message (the server's max_payload is 1 MiB). */
  maxMessageBytes?: number;
  what: string;
  onError?: (err: unknown) => void;
}

/**
 * `add` only queues. Every `flushMs` each app's waiting lines go out as one or more messages on
 * its subject, in order, one flush in flight at a time. A failed flush puts its lines back in
 * front of what arrived since (a publish that timed out but was stored anyway shows twice);
 * while the engine is away lines wait, bounded by `maxPending`, and what does not fit is
 * counted in `dropped`. `settled()` resolves once every line added before the call is stored.
 */
export class SubjectBatcher {
  private pending = new Map<string, LogLine[]>();
  private pendingCount = 0;
  private inflight: Promise<void> | undefined;
  /** Reads under way: no flush starts meanwhile, so a line is either in the stream or waiting. */
  private held = 0;
  private timer: NodeJS.Timeout;
  private failing = false;
  private added = 0;
  private stored = 0;
  private readonly maxPending: number;
  private readonly keep: number;
  private readonly maxBytes: number;
  dropped = 0;
  /** Messages and lines published (engine messages per line, for /metrics). */
  messages = 0;
  lines = 0;

  constructor(
    private readonly link: NatsLink,
    private readonly o: BatcherOptions,
  ) {
    this.maxPending = o.maxPending ?? 200_000;
    this.keep = o.keepPerApp ?? Number.MAX_SAFE_INTEGER;
    this.maxBytes = o.maxMessageBytes ?? 512 * 1024;
    this.timer = setInterval(() => this.flush(), o.flushMs ?? 50);
    this.timer.unref();
  }

  add(appId: string, line: LogLine): void {
    this.added++;
    if (this.pendingCount >= this.maxPending) {
      this.dropped++;
      return;
    }
    let q = this.pending.get(appId);
    if (q === undefined) this.pending.set(appId, (q = []));
    q.push(line);
    this.pendingCount++;
  }

  /**
   * Runs `read` (a replay of the stream) with flushes held, then gives it this node's lines of
   * `appId` still waiting: every line is counted once, in the stream or in the queue.
   */
  async reading<T>(appId: string, read: () => Promise<T>): Promise<{ result: T; waiting: readonly LogLine[] }> {
    this.held++;
    try {
      await this.inflight;
      const result = await read();
      return { result, waiting: [...(this.pending.get(appId) ?? [])] };
    } finally {
      this.held--;
    }
  }

  forget(appId: string): void {
    this.pendingCount -= this.pending.get(appId)?.length ?? 0;
    this.pending.delete(appId);
  }

  flush(): void {
    if (this.inflight || this.held > 0 || this.pending.size === 0) return;
    const batch = this.pending;
    const upTo = this.added;
    this.pending = new Map();
    this.pendingCount = 0;
    this.inflight = this.publish(batch)
      .then(
        () => {
          this.stored = Math.max(this.stored, upTo);
          this.failing = false;
        },
        (err: unknown) => {
          this.requeue(batch);
          if (!this.failing) this.o.onError?.(err); // one report per outage
          this.failing = true;
        },
      )
      .finally(() => {
        this.inflight = undefined;
      });
  }

  /** Resolves once every line added before the call is in the stream; rejects (503) when the engine cannot take them in time. */
  async settled(): Promise<void> {
    const target = this.added;
    const deadline = Date.now() + this.link.timeoutMs;
    while (this.stored < target) {
      this.link.guard();
      if (Date.now() > deadline) throw this.link.unavailable();
      if (this.inflight) await this.inflight;
      else if (this.pending.size === 0) return; // nothing left of them: dropped (counted) or forgotten
      else if (this.held > 0) await new Promise((r) => setTimeout(r, 5)); // a read holds flushes for a moment
      else {
        this.flush();
        await this.inflight;
        if (this.failing) throw this.link.unavailable();
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.inflight;
    this.flush();
    await this.inflight;
  }

  private async publish(batch: Map<string, LogLine[]>): Promise<void> {
    const js = this.link.parts.js;
    const h = natsHeaders();
    h.set(NODE_HEADER, this.o.node);
    const sends: Promise<unknown>[] = [];
    for (const [appId, lines] of batch) {
      // Each app's messages go in order; apps in parallel.
      sends.push(
        (async () => {
          for (const chunk of encodeLines(lines.slice(-this.keep), this.maxBytes)) {
            await this.link.call(js.publish(this.o.subject(appId), chunk.data, { headers: h }), this.o.what);
            this.messages++;
            this.lines += chunk.count;
          }
        })(),
      );
    }
    const results = await Promise.allSettled(sends);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private requeue(batch: Map<string, LogLine[]>): void {
    for (const [appId, lines] of batch) {
      const newer = this.pending.get(appId) ?? [];
      // Lines beyond what is kept per app would be trimmed anyway: not a loss. The rest is.
      const useful = Math.max(0, Math.min(lines.length, this.keep - newer.length));
      const fits = Math.min(useful, Math.max(0, this.maxPending - this.pendingCount));
      this.dropped += useful - fits;
      if (fits === 0) continue;
      const back = lines.slice(lines.length - fits);
      this.pending.set(appId, [...back, ...newer]);
      this.pendingCount += back.length;
    }
  }
}
