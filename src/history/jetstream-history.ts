// Cluster history: one replicated JetStream stream, one subject per app, lines batched into messages.
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { LogLine } from '../core/log-line.js';
import { EngineTimeout, retrying, type NatsLink } from '../engine/nats/link.js';
import { HISTORY_LINES, type History } from './contract.js';
import { SubjectBatcher } from '../engine/nats/batcher.js';
import { decodeLines } from '../engine/nats/lines.js';
import type { MessageSpool } from '../engine/nats/message-spool.js';

export const HISTORY_STREAM = 'SLUICE_HISTORY';
export const historySubject = (appId: string): string => `sluice.history.${appId}`;
/** A history read gets this many engine deadlines: time to replace a reader placed on a dead peer. */
const READ_DEADLINES = 3;

export interface JetStreamHistoryOptions {
  node: string;
  flushMs?: number;
  /** Lines waiting for the engine across all apps; beyond this new lines are dropped and counted. */
  maxPending?: number;
  /** At most this many bytes of lines per message (the server's max_payload is 1 MiB). */
  maxMessageBytes?: number;
  onError?: (err: unknown) => void;
  /** Where lines wait on disk while the engine does not take them. */
  spool?: MessageSpool;
  onDrop?: (appId: string | undefined, lines: number, why: string) => void;
}

/** Creates the history stream if it is missing (idempotent; same config on every node). */
export async function ensureHistoryStream(link: NatsLink): Promise<void> {
  const cfg = {
    name: HISTORY_STREAM,
    subjects: ['sluice.history.*'],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    // Each message holds one or more lines, so the newest 1,500 messages hold the newest 1,500 lines.
    max_msgs_per_subject: HISTORY_LINES,
    num_replicas: link.replicas,
  };
  await link.call(link.parts.jsm.streams.add(cfg), 'create the history stream');
}

/**
 * `deliver` queues into a SubjectBatcher (every 50 ms one message per app, one flush in flight),
 * so the stream holds one cluster-wide order: the order its leader stored the batches of all
 * nodes. `read` asks the leader for the app's newest message, replays the subject up to it (at
 * most 1,500 messages) with an ephemeral consumer, takes the newest lines, then adds this node's
 * lines still waiting. `settled()` resolves once every line delivered before the call is in the
 * replicated stream (`--ack replicated`).
 */
export class JetStreamHistory implements History {
  private readonly batcher: SubjectBatcher;
  /** Purges under way: a read after `drop` waits for its app's. */
  private purging = new Map<string, Promise<unknown>>();
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly link: NatsLink,
    o: JetStreamHistoryOptions,
  ) {
    this.onError = o.onError ?? (() => {});
    this.batcher = new SubjectBatcher(link, {
      node: o.node,
      subject: historySubject,
      flushMs: o.flushMs,
      maxPending: o.maxPending,
      keepPerApp: HISTORY_LINES,
      maxMessageBytes: o.maxMessageBytes,
      what: 'store history',
      onError: o.onError,
      spool: o.spool,
      onDrop: o.onDrop,
    });
  }

  get dropped(): number {
    return this.batcher.dropped;
  }
  get messages(): number {
    return this.batcher.messages;
  }
  get lines(): number {
    return this.batcher.lines;
  }
  get spooled(): { messages: number; lines: number; bytes: number } {
    return this.batcher.spooled;
  }

  deliver(appId: string, line: LogLine): void {
    this.batcher.add(appId, line);
  }

  async read(appId: string, n: number, keep?: (line: LogLine) => boolean): Promise<LogLine[]> {
    const want = Math.max(0, Math.min(n, HISTORY_LINES));
    if (want === 0) return [];
    await this.purging.get(appId);
    const budget = this.link.timeoutMs * READ_DEADLINES;
    const { result: all, waiting } = await this.batcher.reading(appId, () => this.link.call(this.replay(appId, budget), 'read history', budget));
    for (const l of waiting) all.push(l);
    const newest = all.slice(-HISTORY_LINES);
    if (!keep) return newest.slice(-want);
    const out: LogLine[] = [];
    for (let i = newest.length - 1; i >= 0 && out.length < want; i--) if (keep(newest[i])) out.push(newest[i]);
    return out.reverse();
  }

  drop(appId: string): void {
    this.batcher.forget(appId);
    const p = this.link
      .call(this.link.parts.jsm.streams.purge(HISTORY_STREAM, { filter: historySubject(appId) }), 'purge history')
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        if (this.purging.get(appId) === p) this.purging.delete(appId);
      });
    this.purging.set(appId, p);
  }

  flush(): void {
    this.batcher.flush();
  }

  settled(): Promise<void> {
    return this.batcher.settled();
  }

  close(): Promise<void> {
    return this.batcher.close();
  }

  /**
   * Every line the stream holds for the app, oldest first (at most 1,500 messages). The stream
   * leader names the app's newest message first; the reader (an ephemeral consumer, placed on any
   * peer) hands out messages until that one. A reader on a follower still catching up waits for
   * it; one that does not answer or stops (placed on a dead peer, see `retrying`) is abandoned and
   * another made, within `budgetMs`. Never a short answer.
   */
  private async replay(appId: string, budgetMs: number): Promise<LogLine[]> {
    const deadline = Date.now() + budgetMs;
    for (;;) {
      // Asked again on each try: another node may have purged the app meanwhile.
      const newest = await this.link.parts.jsm.streams.getMessage(HISTORY_STREAM, { last_by_subj: historySubject(appId) });
      if (!newest) return [];
      try {
        return await this.replayUntil(appId, newest.seq, deadline);
      } catch (err) {
        if (!(err instanceof EngineTimeout) || Date.now() >= deadline) throw err;
      }
    }
  }

  private async replayUntil(appId: string, lastSeq: number, deadline: number): Promise<LogLine[]> {
    const { js, jsm } = this.link.parts;
    // A creation that does not answer within a quarter of the engine deadline is asked again.
    const ci = await retrying(
      () =>
        jsm.consumers.add(HISTORY_STREAM, {
          filter_subject: historySubject(appId),
          ack_policy: AckPolicy.None,
          deliver_policy: DeliverPolicy.All,
          mem_storage: true,
          num_replicas: 1,
          inactive_threshold: 10_000_000_000,
        }),
      this.link.timeoutMs / 4,
      Math.max(1, deadline - Date.now()),
      'open a history reader',
    );
    const out: LogLine[] = [];
    try {
      const c = await js.consumers.get(HISTORY_STREAM, ci.name);
      for (let seen = 0; seen < lastSeq; ) {
        const it = await c.fetch({ max_messages: 500, expires: Math.max(100, Math.min(1_000, deadline - Date.now())) });
        let got = 0;
        for await (const m of it) {
          got++;
          for (const l of decodeLines(m.data)) out.push(l);
          seen = m.seq;
          if (seen >= lastSeq) break;
        }
        // The newest message did not come: a stalled reader, never a shortened history.
        if (got === 0) throw new EngineTimeout(`read history: the reader stopped before message ${lastSeq} (at ${seen})`);
      }
    } finally {
      jsm.consumers.delete(HISTORY_STREAM, ci.name).catch(() => {});
    }
    return out;
  }
}
