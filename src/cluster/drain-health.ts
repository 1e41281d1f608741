// A drain's health and counters as the drain's, not a node's: its owner writes them to a KV bucket every node reads.
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsLink } from '../engine/nats/link.js';
import type { DrainHealth } from '../drains/health.js';

export const DRAIN_HEALTH_BUCKET = 'sluice_drain_health';

/** What every node shows for a drain: the owner's health, counters since the drain was made. */
export interface SharedDrainHealth extends DrainHealth {
  /** The node delivering it now (null while nobody does). */
  owner: string | null;
  /** Lines sent again after a change of owner (the old owner may have delivered them): at-least-once, counted. */
  redelivered: number;
  updated_at: string;
}

/** Follows the bucket with a watch; `put` is the owner's write (about once a second, when something changed). */
export class DrainHealthBoard {
  private readonly seen = new Map<string, SharedDrainHealth>();
  private stopWatch: (() => void) | undefined;
  private last = new Map<string, string>();

  private constructor(
    private readonly link: NatsLink,
    private readonly kv: KV,
  ) {}

  static async open(link: NatsLink): Promise<DrainHealthBoard> {
    const kv = await link.call(new Kvm(link.parts.js).create(DRAIN_HEALTH_BUCKET, { replicas: link.replicas, history: 1 }), 'open the drain health bucket');
    const b = new DrainHealthBoard(link, kv);
    const it = await link.call(kv.watch({ key: '>' }), 'watch drain health');
    b.stopWatch = () => it.stop();
    void (async () => {
      for await (const e of it) {
        if (e.operation === 'PUT') {
          try {
            b.seen.set(e.key, JSON.parse(e.string()) as SharedDrainHealth);
          } catch {
            /* not ours */
          }
        } else b.seen.delete(e.key);
      }
    })().catch(() => {});
    return b;
  }

  get(id: string): SharedDrainHealth | undefined {
    return this.seen.get(id);
  }

  /** The last value the engine holds (a new owner continues from it). */
  async load(id: string): Promise<SharedDrainHealth | undefined> {
    const e = await this.link.call(this.kv.get(id), 'read drain health');
    if (!e || e.operation !== 'PUT') return this.seen.get(id);
    return JSON.parse(e.string()) as SharedDrainHealth;
  }

  async put(id: string, h: SharedDrainHealth): Promise<void> {
    const { updated_at: _, ...rest } = h;
    const sig = JSON.stringify(rest);
    if (this.last.get(id) === sig) return;
    this.seen.set(id, h);
    await this.link.call(this.kv.put(id, JSON.stringify(h)), 'write drain health');
    this.last.set(id, sig);
  }

  async remove(id: string): Promise<void> {
    this.seen.delete(id);
    this.last.delete(id);
    await this.link.call(this.kv.delete(id), 'remove drain health').catch(() => {});
  }

  close(): void {
    this.stopWatch?.();
  }
}
