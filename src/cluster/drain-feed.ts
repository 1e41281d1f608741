// Lines of apps that have drains, into one replicated stream every drain's owner reads from.
import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { LogLine } from '../core/log-line.js';
import { SubjectBatcher } from '../engine/nats/batcher.js';
import type { NatsLink } from '../engine/nats/link.js';
import type { MessageSpool } from '../engine/nats/message-spool.js';
import type { Subscriber } from '../router/subscriber.js';
import type { ConfigStore } from '../store/contract.js';

export const DRAIN_STREAM = 'SLUICE_DRAINS';
export const drainSubject = (appId: string): string => `sluice.drain.${appId}`;

export interface DrainStreamLimits {
  /** How long lines wait for a drain that does not take them (default 24 h). */
  maxAgeMs?: number;
  /** All drains' backlog together (default 4 GiB per replica). */
  maxBytes?: number;
}

/** Creates the drain stream if it is missing (idempotent). */
export async function ensureDrainStream(link: NatsLink, limits: DrainStreamLimits = {}): Promise<void> {
  const max_age = (limits.maxAgeMs ?? 24 * 3_600_000) * 1_000_000;
  const max_bytes = limits.maxBytes ?? 4 * 1024 ** 3;
  const { jsm } = link.parts;
  try {
    await link.call(
      jsm.streams.add({
        name: DRAIN_STREAM,
        subjects: ['sluice.drain.*'],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_age,
        max_bytes,
        num_replicas: link.replicas,
      }),
      'create the drain stream',
    );
  } catch (err) {
    // Made before with other limits (the operator changed them): the stream takes the new ones.
    if (!/already in use/i.test(String((err as Error)?.message))) throw err;
    await link.call(jsm.streams.update(DRAIN_STREAM, { max_age, max_bytes }), 'update the drain stream limits');
  }
}

/**
 * The router's subscriber for drains in cluster mode: a line routed on any node is stored once
 * in `SLUICE_DRAINS` on its app's subject (batched like history), whatever node owns the drain;
 * apps without drains cost nothing. Each drain's durable consumer reads it from there.
 */
export class DrainFeed implements Subscriber {
  private readonly batcher: SubjectBatcher;
  private drained = new Set<string>();
  private off: () => void;

  constructor(
    link: NatsLink,
    private readonly store: ConfigStore,
    o: { node: string; onError?: (err: unknown) => void; spool?: MessageSpool; onDrop?: (appId: string | undefined, lines: number, why: string) => void },
  ) {
    this.batcher = new SubjectBatcher(link, { node: o.node, subject: drainSubject, what: 'store drain lines', onError: o.onError, spool: o.spool, onDrop: o.onDrop,
      // Each drain's owner counts lost lines from the gaps in the message ids (drain-owner.ts).
      tellLoss: false,
    });
    this.reindex();
    this.off = store.onChange((kind) => {
      if (kind === 'drain') this.reindex();
    });
  }

  get dropped(): number {
    return this.batcher.dropped;
  }
  get messages(): number {
    return this.batcher.messages;
  }
  get spooled(): { messages: number; lines: number; bytes: number } {
    return this.batcher.spooled;
  }

  deliver(appId: string, line: LogLine): void {
    if (this.drained.has(appId)) this.batcher.add(appId, line);
  }

  settled(): Promise<void> {
    return this.batcher.settled();
  }

  async close(): Promise<void> {
    this.off();
    await this.batcher.close();
  }

  private reindex(): void {
    this.drained = new Set(this.store.listDrains().map((d) => d.app_id));
  }
}
