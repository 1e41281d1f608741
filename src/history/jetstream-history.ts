// Cluster history: one replicated JetStream stream, one subject per app, lines batched into messages.
import { headers as natsHeaders } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { LogLine } from '../core/log-line.js';
import { newId } from '../core/ids.js';
import type { NatsLink } from '../engine/nats/link.js';
import { HISTORY_LINES, type History } from './contract.js';
import { decodeLines, encodeLines } from './jetstream-lines.js';

export const HISTORY_STREAM = 'SLUICE_HISTORY';
export const historySubject = (appId: string): string => `sluice.history.${appId}`;
/** The header naming the node that published a batch (tails skip their own). */
export const NODE_HEADER = 'Sluice-Node';

export interface JetStreamHistoryOptions {
  node: string;
  flushMs?: number;
  /** Lines waiting for the engine across all apps; beyond this new lines are dropped and counted. */
  maxPending?: number;
  /** At most this many bytes of lines per message (the server's max_payload is 1 MiB). */
  maxMessageBytes?: number;
  onError?: (err: unknown) => void;
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
 * `deliver` only queues. Every `flushMs` each app's waiting lines go out as one or more messages
 * on the app's subject (in order, one flush in flight at a time), so the stream holds one
 * cluster-wide order: the order the stream leader stored the batches of all nodes. A failed
 * flush puts its lines back in front (a publish that timed out but was stored anyway shows
 * twice: the one duplicate window of history); while the engine is away lines wait, bounded by `maxPending`, and what does not fit is
 * counted in `dropped`.
 *
 * `read` replays the app's subject (at most 1,500 messages) with an ephemeral consumer, takes
 * the newest lines, then adds this node's lines still waiting. `settled()` resolves once every
 * line delivered before the call is stored in the replicated stream (`--ack replicated`).
 */
export class JetStreamHistory implements History {
  private pending = new Map<string, LogLine[]>();
  private pendingCount = 0;
  private inflight: Promise<void> | undefined;
  /** Purges under way: a read after `drop` waits for its app's. */
  private purging = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout;
  private failing = false;
  private readonly maxPending: number;
  private readonly maxBytes: number;
  private readonly onError: (err: unknown) => void;
  /** Lines delivered so far, and lines known stored (a flush stores everything delivered before it began). */
  private delivered = 0;
  private stored = 0;
  dropped = 0;
  /** Messages and lines published (for /metrics: engine messages per line). */
  messages = 0;
  lines = 0;

  constructor(
    private readonly link: NatsLink,
    private readonly o: JetStreamHistoryOptions,
  ) {
    this.maxPending = o.maxPending ?? 200_000;
    this.maxBytes = o.maxMessageBytes ?? 512 * 1024;
    this.onError = o.onError ?? (() => {});
    this.timer = setInterval(() => this.flush(), o.flushMs ?? 50);
    this.timer.unref();
  }

  deliver(appId: string, line: LogLine): void {
    this.delivered++;
    let q = this.pending.get(appId);
    if (q === undefined) this.pending.set(appId, (q = []));
    if (this.pendingCount >= this.maxPending) {
      this.dropped++;
      return;
    }
    q.push(line);
    this.pendingCount++;
  }

  async read(appId: string, n: number, keep?: (line: LogLine) => boolean): Promise<LogLine[]> {
    const want = Math.max(0, Math.min(n, HISTORY_LINES));
    if (want === 0) return [];
    await this.purging.get(appId);
    const all = await this.link.call(this.replay(appId), 'read history');
    for (const l of this.pending.get(appId) ?? []) all.push(l);
    const newest = all.slice(-HISTORY_LINES);
    if (!keep) return newest.slice(-want);
    const out: LogLine[] = [];
    for (let i = newest.length - 1; i >= 0 && out.length < want; i--) if (keep(newest[i])) out.push(newest[i]);
    return out.reverse();
  }

  drop(appId: string): void {
    this.pendingCount -= this.pending.get(appId)?.length ?? 0;
    this.pending.delete(appId);
    const p = this.link
      .call(this.link.parts.jsm.streams.purge(HISTORY_STREAM, { filter: historySubject(appId) }), 'purge history')
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        if (this.purging.get(appId) === p) this.purging.delete(appId);
      });
    this.purging.set(appId, p);
  }

  flush(): void {
    if (this.inflight || this.pending.size === 0) return;
    const batch = this.pending;
    const upTo = this.delivered;
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
          if (!this.failing) this.onError(err); // one report per outage
          this.failing = true;
        },
      )
      .finally(() => {
        this.inflight = undefined;
      });
  }

  /** Resolves once every line delivered before the call is in the replicated stream; rejects on an engine failure. */
  async settled(): Promise<void> {
    const target = this.delivered;
    const deadline = Date.now() + this.link.timeoutMs;
    while (this.stored < target) {
      this.link.guard();
      if (Date.now() > deadline) throw this.link.unavailable();
      if (this.inflight) await this.inflight;
      else if (this.pending.size === 0) break; // nothing left: those lines were dropped or purged
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
          for (const chunk of encodeLines(lines.slice(-HISTORY_LINES), this.maxBytes)) {
            await this.link.call(js.publish(historySubject(appId), chunk.data, { msgID: newId(), headers: h }), 'store history');
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

  /** Every line the stream holds for the app, oldest first (at most 1,500 messages). */
  private async replay(appId: string): Promise<LogLine[]> {
    const { js, jsm } = this.link.parts;
    const ci = await jsm.consumers.add(HISTORY_STREAM, {
      filter_subject: historySubject(appId),
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: 10_000_000_000,
    });
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

  private requeue(batch: Map<string, LogLine[]>): void {
    for (const [appId, lines] of batch) {
      const newer = this.pending.get(appId) ?? [];
      const useful = Math.max(0, Math.min(lines.length, HISTORY_LINES - newer.length));
      const fits = Math.min(useful, Math.max(0, this.maxPending - this.pendingCount));
      this.dropped += useful - fits;
      if (fits === 0) continue;
      const back = lines.slice(lines.length - fits);
      this.pending.set(appId, [...back, ...newer]);
      this.pendingCount += back.length;
    }
  }
}
