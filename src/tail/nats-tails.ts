// Live tails across nodes: a node subscribes to an app's history subject only while someone tails that app through it.
import type { Subscription } from '@nats-io/transport-node';
import type { NatsLink } from '../engine/nats/link.js';
import { NODE_HEADER } from '../engine/nats/batcher.js';
import { decodeLines } from '../engine/nats/lines.js';
import { historySubject } from '../history/jetstream-history.js';
import { TailHub, type TailClient } from './hub.js';

/**
 * Every batch a node stores in the history stream is also seen by core NATS subscribers of the
 * same subject, so tails cost no publish of their own: a node with a tail on app X subscribes
 * to `sluice.history.X` and hands batches from other nodes to its local tails (its own lines
 * reached them directly, through the router). A node without tails on X receives nothing of X.
 */
export class NatsTailHub extends TailHub {
  private subs = new Map<string, Subscription>();
  private perApp = new Map<string, number>();
  /** Subscriptions made for a session about to open, kept until its tail is added (or 30 s). */
  private preparing = new Map<string, number>();
  private sweep: NodeJS.Timeout;
  /** Lines received from other nodes for this node's tails (for /metrics). */
  received = 0;

  constructor(
    private readonly link: NatsLink,
    private readonly node: string,
  ) {
    super();
    this.sweep = setInterval(() => this.forget(Date.now()), 5_000);
    this.sweep.unref();
  }

  /** Subscribes before a tail is served, so any line stored after the stream answered reaches it. */
  async prepare(appId: string): Promise<void> {
    this.preparing.set(appId, Date.now() + 30_000);
    this.subscribe(appId);
    await this.link.call(this.link.nc.flush(), 'subscribe for a tail').catch(() => {});
  }

  override add(appId: string, client: TailClient): () => void {
    const remove = super.add(appId, client);
    this.perApp.set(appId, (this.perApp.get(appId) ?? 0) + 1);
    this.preparing.delete(appId);
    this.subscribe(appId);
    let removed = false;
    return () => {
      remove();
      if (removed) return;
      removed = true;
      const left = (this.perApp.get(appId) ?? 1) - 1;
      if (left > 0) this.perApp.set(appId, left);
      else {
        this.perApp.delete(appId);
        this.forget(Date.now());
      }
    };
  }

  apps(): string[] {
    return [...this.subs.keys()];
  }

  close(): void {
    clearInterval(this.sweep);
    for (const s of this.subs.values()) s.unsubscribe();
    this.subs.clear();
  }

  private subscribe(appId: string): void {
    if (this.subs.has(appId)) return;
    try {
      const sub = this.link.nc.subscribe(historySubject(appId), {
        callback: (err, m) => {
          if (err || m.headers?.get(NODE_HEADER) === this.node) return;
          for (const line of decodeLines(m.data)) {
            this.received++;
            this.deliver(appId, line);
          }
        },
      });
      this.subs.set(appId, sub);
    } catch {
      // The connection is closed (stopping): local lines still reach local tails.
    }
  }

  private forget(now: number): void {
    for (const [appId, sub] of this.subs) {
      const until = this.preparing.get(appId);
      if (this.perApp.has(appId) || (until !== undefined && until > now)) continue;
      this.preparing.delete(appId);
      sub.unsubscribe();
      this.subs.delete(appId);
    }
  }
}
