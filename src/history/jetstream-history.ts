// Cluster history: one replicated JetStream stream, one subject per app, lines batched into messages.
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { LogLine } from '../core/log-line.js';
import { retrying, type NatsLink } from '../engine/nats/link.js';
import { HISTORY_LINES, type History } from './contract.js';
import { SubjectBatcher } from '../engine/nats/batcher.js';
import { decodeLines } from '../engine/nats/lines.js';
import type { MessageSpool } from '../engine/nats/message-spool.js';

export const HISTORY_STREAM = 'SLUICE_HISTORY';
export const historySubject = (appId: string): string => `sluice.history.${appId}`;

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
 * nodes. `read` replays the app's subject (at most 1,500 messages) with an ephemeral consumer,
 * takes the newest lines, then adds this node's lines still waiting. `settled()` resolves once
 * every line delivered before the call is in the replicated stream (`--ack replicated`).
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
    const { result: all, waiting } = await this.batcher.reading(appId, () => this.link.call(this.replay(appId), 'read history'));
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

  /** Every line the stream holds for the app, oldest first (at most 1,500 messages). */
  private async replay(appId: string): Promise<LogLine[]> {
    const { js, jsm } = this.link.parts;
    // A creation that does not answer within a quarter of the deadline is asked again (see `retrying`).
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
      this.link.timeoutMs,
      'open a history reader',
    );
    const out: LogLine[] = [];
    try {
      if (ci.num_pending === 0) return out;
      const c = await js.consumers.get(HISTORY_STREAM, ci.name);
      let left = ci.num_pending;
      while (left > 0) {
        const it = await c.fetch({ max_messages: Math.min(left, 500), expires: 1_000 });
        let got = 0;
        for await (const m of it) {
          got++;
          for (const l of decodeLines(m.data)) out.push(l);
          left = m.info.pending;
          if (left === 0) break;
        }
        if (got === 0) break;
      }
    } finally {
      jsm.consumers.delete(HISTORY_STREAM, ci.name).catch(() => {});
    }
    return out;
  }
}
