// Lines batched per subject and published to a JetStream stream: one flush in flight, bounded queue, failed messages sent again under their id.
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
 * front of what arrived since, under the same message ids, so the stream keeps one copy of a publish that timed out but was stored;
 * while the engine is away lines wait, bounded by `maxPending`, and what does not fit is
 * counted in `dropped`. `settled()` resolves once every line added before the call is stored.
 */
export class SubjectBatcher {
  private pending = new Map<string, LogLine[]>();
  /** Messages of a failed flush, per app, sent again first under the same message id. */
  private retry = new Map<string, Chunk[]>();
  private readonly idPrefix: string;
  private nextId = 0;
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
    this.idPrefix = `${o.node}.${Date.now().toString(36)}.`;
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
      const again = (this.retry.get(appId) ?? []).flatMap((c) => c.lines);
      return { result, waiting: [...again, ...(this.pending.get(appId) ?? [])] };
    } finally {
      this.held--;
    }
  }

  forget(appId: string): void {
    this.pendingCount -= (this.pending.get(appId)?.length ?? 0) + linesOf(this.retry.get(appId));
    this.pending.delete(appId);
    this.retry.delete(appId);
  }

  flush(): void {
    if (this.inflight || this.held > 0 || (this.pending.size === 0 && this.retry.size === 0)) return;
    const batch = this.chunks();
    const upTo = this.added;
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

  /** What waits, as messages: a failed flush's messages first (same ids), then new lines encoded. */
  private chunks(): Map<string, Chunk[]> {
    const out = new Map<string, Chunk[]>();
    for (const [appId, again] of this.retry) out.set(appId, again);
    for (const [appId, lines] of this.pending) {
      const kept = lines.slice(-this.keep);
      const list = out.get(appId) ?? [];
      let at = 0;
      for (const c of encodeLines(kept, this.maxBytes)) {
        list.push({ id: this.idPrefix + (this.nextId++).toString(36), data: c.data, lines: kept.slice(at, at + c.count), sent: false });
        at += c.count;
      }
      out.set(appId, list);
    }
    this.pending = new Map();
    this.retry = new Map();
    this.pendingCount = 0;
    return out;
  }

  /** Resolves once every line added before the call is in the stream; rejects (503) when the engine cannot take them in time. */
  async settled(): Promise<void> {
    const target = this.added;
    const deadline = Date.now() + this.link.timeoutMs;
    while (this.stored < target) {
      this.link.guard();
      if (Date.now() > deadline) throw this.link.unavailable();
      if (this.inflight) await this.inflight;
      else if (this.pending.size === 0 && this.retry.size === 0) return; // nothing left of them: dropped (counted) or forgotten
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

  private async publish(batch: Map<string, Chunk[]>): Promise<void> {
    const js = this.link.parts.js;
    const sends: Promise<unknown>[] = [];
    for (const [appId, chunks] of batch) {
      // Each app's messages go in order; apps in parallel.
      sends.push(
        (async () => {
          for (const chunk of chunks) {
            if (chunk.sent) continue;
            const h = natsHeaders();
            h.set(NODE_HEADER, this.o.node);
            // The stream drops a second copy of the same id (its duplicate window is 2 minutes): a
            // publish that timed out but was stored is not stored twice when it is sent again.
            await this.link.call(js.publish(this.o.subject(appId), chunk.data, { headers: h, msgID: chunk.id }), this.o.what);
            chunk.sent = true;
            this.messages++;
            this.lines += chunk.lines.length;
          }
        })(),
      );
    }
    const results = await Promise.allSettled(sends);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** A failed flush's messages not stored wait, in front of what arrived since, within the bounds. */
  private requeue(batch: Map<string, Chunk[]>): void {
    for (const [appId, chunks] of batch) {
      const left = chunks.filter((c) => !c.sent);
      if (left.length === 0) continue;
      const newer = this.pending.get(appId)?.length ?? 0;
      // Lines beyond what is kept per app would be trimmed anyway: not a loss. The rest is, counted.
      let room = Math.max(0, this.keep - newer);
      let space = Math.max(0, this.maxPending - this.pendingCount);
      const keep: Chunk[] = [];
      for (let i = left.length - 1; i >= 0; i--) {
        const n = left[i].lines.length;
        if (room <= 0) break;
        if (n > space) {
          this.dropped += Math.min(n, room);
          room -= n;
          continue;
        }
        keep.unshift(left[i]);
        room -= n;
        space -= n;
        this.pendingCount += n;
      }
      if (keep.length) this.retry.set(appId, keep);
    }
  }
}

interface Chunk {
  /** The message id (`Nats-Msg-Id`) it is published under, every time. */
  id: string;
  data: Uint8Array;
  lines: LogLine[];
  sent: boolean;
}

const linesOf = (chunks: Chunk[] | undefined): number => (chunks ?? []).reduce((n, c) => n + c.lines.length, 0);
