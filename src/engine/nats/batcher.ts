// Lines batched per subject and published to a JetStream stream: one flush in flight, bounded queue, failed messages sent again under their id.
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { LogLine } from '../../core/log-line.js';
import { l10 } from '../../core/stream-errors.js';
import type { MessageSpool as EngineSpool, SpooledMessage } from './message-spool.js';
import { decodeLines, encodeLines } from './lines.js';
import { MESSAGE_HEADER, messageId } from './message-id.js';
import type { NatsLink } from './link.js';

/** A flush without an answer for this long sends what waits to the disk spool instead of memory. */
const SPOOL_AFTER_MS = 250;
/** Spooled messages published per replay round (apps in parallel, each app's in order). */
const REPLAY_WINDOW = 1_024;

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
  /**
   * Where lines wait while the engine is away (opened already; it may hold a previous run's
   * messages, sent first). Without it they wait in memory, bounded by `maxPending`.
   */
  spool?: EngineSpool;
  /** Whether lost lines are told to their app by an L10 line in this stream (default); a reader that counts the gaps itself says no. */
  tellLoss?: boolean;
  /** Lines lost (spool full, unreadable record): the caller logs them (rate-limited). */
  onDrop?: (appId: string | undefined, lines: number, why: string) => void;
}

/**
 * `add` only queues. Every `flushMs` each app's waiting lines go out as one or more messages on
 * its subject, in order, one flush in flight at a time. A failed flush puts its lines back in
 * front of what arrived since, under the same message ids, so the stream keeps one copy of a publish that timed out but was stored;
 * while the engine is away lines wait, bounded by `maxPending`, and what does not fit is
 * counted in `dropped`. `settled()` resolves once every line added before the call is stored.
 *
 * With a spool, a flush that fails or has no answer within SPOOL_AFTER_MS moves its messages and
 * everything waiting to disk (its messages first, so each app keeps its order); from then on new
 * lines go to disk every flush and are published from there, oldest first, under the message ids
 * they were written with, until the spool is empty again. Lines the spool has no room for are
 * dropped, counted, and told to the app by an L10 line once its lines reach the engine again.
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
  /** The flush in flight when it publishes from memory (its unsent messages go to the spool if it stalls). */
  private direct: { batch: Map<string, Chunk[]>; since: number } | undefined;
  /** Lines numbered per app so far (lost ones included): each message's id carries the number of its first line. */
  private readonly numbered = new Map<string, number>();
  /** Lines lost per app since its last L10. */
  private readonly lost = new Map<string, { n: number; since: Date }>();
  private syncing = false;
  private closed = false;
  /** Messages and lines published (engine messages per line, for /metrics). */
  messages = 0;
  lines = 0;

  constructor(
    private readonly link: NatsLink,
    private readonly o: BatcherOptions,
  ) {
    this.maxPending = o.maxPending ?? 200_000;
    this.dropped = o.spool?.lostAtOpen ?? 0;
    this.keep = o.keepPerApp ?? Number.MAX_SAFE_INTEGER;
    this.maxBytes = o.maxMessageBytes ?? 512 * 1024;
    this.idPrefix = `${o.node}.${Date.now().toString(36)}.`;
    this.timer = setInterval(() => this.flush(), o.flushMs ?? 50);
    this.timer.unref();
  }

  add(appId: string, line: LogLine): void {
    this.added++;
    if (this.pendingCount >= this.maxPending) {
      // Numbered all the same: a reader sees the gap its loss leaves.
      this.numbered.set(appId, (this.numbered.get(appId) ?? 0) + 1);
      this.lose(appId, 1, 'the memory queue is full');
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
      const spooled: LogLine[] = [];
      for (const m of this.o.spool?.of(appId) ?? []) {
        const data = await this.o.spool!.data(m);
        if (data) for (const l of decodeLines(data)) spooled.push(l);
      }
      const again = (this.retry.get(appId) ?? []).flatMap((c) => c.lines);
      return { result, waiting: [...spooled, ...again, ...(this.pending.get(appId) ?? [])] };
    } finally {
      this.held--;
    }
  }

  forget(appId: string): void {
    this.pendingCount -= (this.pending.get(appId)?.length ?? 0) + linesOf(this.retry.get(appId));
    this.pending.delete(appId);
    this.retry.delete(appId);
    this.lost.delete(appId);
    this.numbered.delete(appId);
    this.o.spool?.forget(appId);
  }

  flush(): void {
    if (this.closed) return;
    const spool = this.o.spool;
    if (spool && this.held === 0 && this.spooling()) this.toSpool(spool, false);
    if (this.inflight || this.held > 0) return;
    if (spool && spool.size > 0) {
      this.inflight = this.replay(spool).finally(() => {
        this.inflight = undefined;
        // A backlog drains as fast as the engine takes it, not one round per tick.
        if (spool.size > 0 && !this.failing) setImmediate(() => this.flush());
      });
      return;
    }
    if (this.pending.size === 0 && this.retry.size === 0) return;
    const batch = this.chunks();
    const upTo = this.added;
    this.direct = { batch, since: Date.now() };
    this.inflight = this.publish(batch)
      .then(
        () => {
          this.stored = Math.max(this.stored, upTo);
          this.recovered(batch.keys());
        },
        (err: unknown) => {
          this.fail(err);
          if (spool) this.toSpool(spool, true);
          else this.requeue(batch);
        },
      )
      .finally(() => {
        this.direct = undefined;
        this.inflight = undefined;
      });
  }

  /** Lines and messages in the spool, and its bytes (health and /metrics). */
  get spooled(): { messages: number; lines: number; bytes: number } {
    const s = this.o.spool;
    return { messages: s?.size ?? 0, lines: s?.lines ?? 0, bytes: s?.bytes ?? 0 };
  }

  /** Whether what waits goes to disk now: the engine is away, a flush stalls, or older messages are still spooled. */
  private spooling(): boolean {
    const s = this.o.spool!;
    return s.size > 0 || this.failing || this.link.state !== 'ok' || (this.direct !== undefined && Date.now() - this.direct.since > SPOOL_AFTER_MS);
  }

  /**
   * Writes the stalled flush's unsent messages, then every waiting line, to the spool in that
   * order. `final`: the stalled flush has failed, so a message of it that does not fit is lost.
   */
  private toSpool(spool: EngineSpool, final: boolean): void {
    const out: Array<[string, Chunk]> = [];
    if (this.direct) for (const [appId, chunks] of this.direct.batch) for (const c of chunks) if (!c.sent && !c.spooled) out.push([appId, c]);
    const mark = this.added;
    if (this.pending.size > 0 || this.retry.size > 0) for (const [appId, chunks] of this.chunks()) for (const c of chunks) out.push([appId, c]);
    if (out.length === 0) return;
    for (const [i, [appId, c]] of out.entries()) {
      const m = spool.append(appId, c.id, c.data, c.lines.length, i === out.length - 1 ? mark : 0);
      if (m) c.spooled = m;
      else if (final || !this.direct?.batch.get(appId)?.includes(c)) this.lose(appId, c.lines.length, 'the engine spool is full');
    }
    if (!this.syncing) {
      this.syncing = true;
      void spool.sync().finally(() => (this.syncing = false));
    }
  }

  /** Publishes the oldest spooled messages: each app's in order, apps in parallel. */
  private async replay(spool: EngineSpool): Promise<void> {
    const byApp = new Map<string, SpooledMessage[]>();
    for (const m of spool.next(REPLAY_WINDOW)) {
      const list = byApp.get(m.appId);
      if (list) list.push(m);
      else byApp.set(m.appId, [m]);
    }
    const results = await Promise.allSettled(
      [...byApp].map(async ([appId, list]) => {
        for (const m of list) {
          // History keeps an app's newest lines: a message with enough newer ones waiting is trimmed anyway.
          if (spool.newerLines(m) >= this.keep) {
            this.reached(spool.release(m));
            continue;
          }
          m.sending = true;
          try {
            const data = await spool.data(m);
            if (data === undefined) this.lose(appId, m.lines, 'a spooled record no longer reads back');
            else await this.send(appId, data, m.id, m.lines);
          } finally {
            m.sending = false;
          }
          this.reached(spool.release(m));
        }
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) this.fail((failed as PromiseRejectedResult).reason);
    else this.recovered(byApp.keys());
  }

  private reached(mark: number | undefined): void {
    if (mark !== undefined) this.stored = Math.max(this.stored, mark);
  }

  private fail(err: unknown): void {
    if (!this.failing) this.o.onError?.(err); // one report per outage
    this.failing = true;
  }

  /** The engine took these apps' lines again: each one that lost lines is told so, in its own stream. */
  private recovered(apps: Iterable<string>): void {
    this.failing = false;
    for (const appId of apps) {
      const l = this.lost.get(appId);
      if (!l) continue;
      this.lost.delete(appId);
      if (this.o.tellLoss !== false) this.add(appId, l10(l.n, l.since));
    }
  }

  private lose(appId: string | undefined, n: number, why: string): void {
    this.dropped += n;
    if (appId !== undefined) {
      const l = this.lost.get(appId);
      if (l) l.n += n;
      else this.lost.set(appId, { n, since: new Date() });
    }
    this.o.onDrop?.(appId, n, why);
  }

  /** What waits, as messages: a failed flush's messages first (same ids), then new lines encoded. */
  private chunks(): Map<string, Chunk[]> {
    const out = new Map<string, Chunk[]>();
    for (const [appId, again] of this.retry) out.set(appId, again);
    for (const [appId, lines] of this.pending) {
      const kept = lines.slice(-this.keep);
      const list = out.get(appId) ?? [];
      let at = 0;
      let n = (this.numbered.get(appId) ?? 0) + lines.length - kept.length;
      for (const c of encodeLines(kept, this.maxBytes)) {
        list.push({ id: messageId(this.idPrefix, this.nextId++, n), data: c.data, lines: kept.slice(at, at + c.count), sent: false });
        at += c.count;
        n += c.count;
      }
      this.numbered.set(appId, n);
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
      else if (this.pending.size === 0 && this.retry.size === 0 && !this.o.spool?.size) return; // nothing left of them: dropped (counted) or forgotten
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
    this.closed = true;
    if (this.o.spool) {
      // What the engine did not take waits on disk for the next start.
      this.toSpool(this.o.spool, true);
      await this.o.spool.sync();
      this.o.spool.close();
    }
  }

  private async send(appId: string, data: Uint8Array, id: string, lines: number): Promise<void> {
    const h = natsHeaders();
    h.set(NODE_HEADER, this.o.node);
    h.set(MESSAGE_HEADER, id);
    // The stream drops a second copy of the same id (its duplicate window is 2 minutes): a
    // publish that timed out but was stored is not stored twice when it is sent again.
    await this.link.call(this.link.parts.js.publish(this.o.subject(appId), data, { headers: h, msgID: id }), this.o.what);
    this.messages++;
    this.lines += lines;
  }

  private async publish(batch: Map<string, Chunk[]>): Promise<void> {
    const sends: Promise<unknown>[] = [];
    for (const [appId, chunks] of batch) {
      // Each app's messages go in order; apps in parallel.
      sends.push(
        (async () => {
          for (const chunk of chunks) {
            if (chunk.sent) continue;
            await this.send(appId, chunk.data, chunk.id, chunk.lines.length);
            chunk.sent = true;
            // Spooled when the flush stalled: published after all, so not sent again from disk.
            if (chunk.spooled) this.reached(this.o.spool!.release(chunk.spooled));
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
  /** Its copy in the spool, once the flush stalled. */
  spooled?: SpooledMessage;
}

const linesOf = (chunks: Chunk[] | undefined): number => (chunks ?? []).reduce((n, c) => n + c.lines.length, 0);
