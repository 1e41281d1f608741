// One owner per drain: a lease (create-only KV key with a TTL), a durable consumer per drain, acks after delivery.
import { AckPolicy, DeliverPolicy, type Consumer, type JsMsg } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { decodeLines } from '../engine/nats/lines.js';
import { MESSAGE_HEADER, parseMessageId } from '../engine/nats/message-id.js';
import { isWrongLastSequence, type NatsLink } from '../engine/nats/link.js';
import { HealthTracker, type DrainHealth } from '../drains/health.js';
import type { DrainManager } from '../drains/manager.js';
import { emptyQueueStats } from '../drains/queue/queue.js';
import { emptyCounters } from '../drains/queue/state.js';
import type { ConfigStore } from '../store/contract.js';
import type { Logger } from '../telemetry/logger.js';
import { DRAIN_STREAM, drainSubject } from './drain-feed.js';
import type { DrainHealthBoard, SharedDrainHealth } from './drain-health.js';

export const LEASE_BUCKET = 'sluice_drain_leases';

export interface OwnershipOptions {
  node: string;
  logger: Logger;
  /** A lease not renewed for this long expires (the bucket's TTL); default 5 s. */
  leaseMs?: number;
  /** How often leases are renewed, free drains looked for, and acks and health written; default 1 s. */
  tickMs?: number;
  /** Lines a drain may hold queued locally before its owner stops pulling (the rest waits, replicated, in the stream). */
  maxQueued?: number;
  /** The same in bytes (half the drain's memory budget, so the local queue never drops for room). */
  maxQueuedBytes?: number;
}

interface Owned {
  id: string;
  consumer?: Consumer;
  /** Fetched messages not yet acked, with the count of lines pushed up to and including each. */
  unacked: { msg: JsMsg; upTo: number }[];
  pushed: number;
  /** The drain's counters when this node took it (from the shared board). */
  base: { delivered: number; dropped: number; redelivered: number };
  redelivered: number;
  stopped: boolean;
  /** Per publisher, the number its next line should have: a higher one means lines were lost in between. */
  next: Map<string, number>;
  /** Lines this owner counted as lost that way (in the queue's dropped, never pushed). */
  discarded: number;
  /**
   * Gaps seen but not yet counted: a message the previous owner had not acked comes again only
   * after the ack wait, so a newer message may arrive before it and look like a gap.
   */
  gaps: Gap[];
  /** When a fetch last came back short (the consumer had nothing more to give, redeliveries due included). */
  drainedAt: number;
}

/** Lines `[from, to)` of one publisher not seen yet, first noticed at `at`. */
interface Gap {
  publisher: string;
  from: number;
  to: number;
  at: number;
}

/**
 * Leases are keys `<drain id>` in a bucket whose TTL is `leaseMs`: `create` takes a free one (one
 * winner), the owner re-puts it every tick, and a dead owner's key expires by itself. A node
 * takes free drains up to its fair share (drains / live nodes, rounded up), and any drain left
 * free for three ticks whatever its share, so a dead owner's drains are taken within
 * `leaseMs` + 3 ticks (< 10 s). An owner that cannot renew for half the TTL stops by itself.
 *
 * The owner reads the drain's lines from its durable consumer (`drain-<id>` on SLUICE_DRAINS,
 * from the drain's creation) and pushes them into the local drain queue, pulling only while that
 * queue is short. A message is acked once the drain's delivered + dropped counters have passed
 * its last line; until then it is kept alive (`working`). Messages the old owner had not acked
 * come again to the new one: counted in `redelivered` (at most the lines queued on the old
 * owner plus one tick of acks), never lost.
 */
export class DrainOwnership {
  private kv: KV | undefined;
  private readonly owned = new Map<string, Owned>();
  /** Leases as last heard: drain id → owner, and when we last heard it. */
  private leases = new Map<string, { owner: string; at: number }>();
  private freeSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = Date.now();
  private stopWatch: (() => void) | undefined;
  private ticking = false;
  private closed = false;
  private readonly leaseMs: number;
  private readonly tickMs: number;
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;

  constructor(
    private readonly link: NatsLink,
    private readonly store: ConfigStore,
    private readonly board: DrainHealthBoard,
    private readonly o: OwnershipOptions,
  ) {
    this.leaseMs = o.leaseMs ?? 5_000;
    this.tickMs = o.tickMs ?? 1_000;
    this.maxQueued = o.maxQueued ?? 2_000;
    this.maxQueuedBytes = o.maxQueuedBytes ?? 512 * 1024;
  }

  /** The predicate DrainManager asks. */
  readonly owns = (id: string): boolean => this.owned.has(id);

  private manager: DrainManager | undefined;

  async start(manager: DrainManager): Promise<void> {
    this.manager = manager;
    this.kv = await this.link.call(new Kvm(this.link.parts.js).create(LEASE_BUCKET, { replicas: this.link.replicas, history: 1, ttl: this.leaseMs, allow_direct: false }), 'open the lease bucket');
    const it = await this.link.call(this.kv.watch({ key: '>' }), 'watch drain leases');
    this.stopWatch = () => it.stop();
    void (async () => {
      for await (const e of it) {
        if (e.operation === 'PUT') this.leases.set(e.key, { owner: e.string(), at: Date.now() });
        else this.leases.delete(e.key);
        // Someone else holds what we think is ours: stop at once.
        if (e.operation === 'PUT' && e.string() !== this.o.node && this.owned.has(e.key)) void this.release(e.key, 'another node holds its lease');
      }
    })().catch(() => {});
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      void this.tick().finally(() => (this.ticking = false));
    }, this.tickMs);
    this.timer.unref();
  }

  /**
   * Health as every node shows it: the owner's live counters on the owner, the shared board
   * elsewhere. A drain the board's watch has not brought here (a watch whose consumer sat on a
   * NATS server that died) is read from the bucket itself.
   */
  async health(id: string): Promise<SharedDrainHealth | undefined> {
    const mine = this.owned.get(id);
    if (mine) return this.snapshot(mine);
    return this.board.get(id) ?? (await this.board.load(id).catch(() => undefined));
  }

  /** Lines the drain stream discarded before their drain's owner (this node) took them. */
  discardedTotal = 0;

  get ownedCount(): number {
    return this.owned.size;
  }

  /** Stops pulling new lines (a stopping node lets its drains flush what they hold first). */
  pause(): void {
    for (const o of this.owned.values()) o.stopped = true;
  }

  /** Stops pulling and gives every lease back, so other nodes take the drains at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.stopWatch?.();
    await Promise.all([...this.owned.keys()].map((id) => this.release(id, 'the node is stopping')));
  }

  private async tick(): Promise<void> {
    if (this.closed || !this.kv) return;
    const now = Date.now();
    const drains = this.store.listDrains();
    const ids = new Set(drains.map((d) => d.id));
    // Renew ours (and drop those whose record is gone).
    let renewed = true;
    for (const o of [...this.owned.values()]) {
      if (!ids.has(o.id)) {
        await this.release(o.id, 'the drain was removed', true);
        continue;
      }
      try {
        await this.link.call(this.kv.put(o.id, this.o.node), 'renew a drain lease');
      } catch {
        renewed = false;
      }
      this.progress(o);
      await this.board.put(o.id, this.snapshot(o)).catch(() => {});
    }
    if (renewed) this.lastRenew = now;
    else if (now - this.lastRenew > this.leaseMs / 2) {
      // Fenced: another node may take these any moment; stop before it does.
      for (const id of [...this.owned.keys()]) await this.release(id, 'its lease could not be renewed');
      return;
    }
    if (this.link.state !== 'ok') return;
    // Take free drains: up to a fair share at once, any that stayed free for three ticks.
    const nodes = Math.max(1, new Set([...this.leases.values()].filter((l) => now - l.at < this.leaseMs).map((l) => l.owner).concat(this.o.node)).size);
    const share = Math.ceil(drains.length / nodes);
    for (const d of drains) {
      if (this.owned.has(d.id)) continue;
      const lease = this.leases.get(d.id);
      if (lease && now - lease.at < this.leaseMs) {
        this.freeSince.delete(d.id);
        continue;
      }
      const since = this.freeSince.get(d.id) ?? now;
      this.freeSince.set(d.id, since);
      if (this.owned.size >= share && now - since < 3 * this.tickMs) continue;
      if (await this.claim(d.id)) await this.take(d.id);
    }
  }

  private async claim(id: string): Promise<boolean> {
    try {
      await this.link.call(this.kv!.create(id, this.o.node), 'take a drain lease');
      this.leases.set(id, { owner: this.o.node, at: Date.now() });
      return true;
    } catch (err) {
      if (!isWrongLastSequence(err)) this.o.logger.debug({ drain: id, err: String(err) }, 'taking a drain lease failed');
      return false;
    }
  }

  private async take(id: string): Promise<void> {
    const rec = this.store.getDrain(id);
    if (!rec) return;
    const prev = await this.board.load(id).catch(() => undefined);
    const o: Owned = {
      id,
      unacked: [],
      pushed: 0,
      base: { delivered: prev?.delivered ?? 0, dropped: prev?.dropped ?? 0, redelivered: prev?.redelivered ?? 0 },
      redelivered: 0,
      stopped: false,
      next: new Map(),
      discarded: 0,
      gaps: [],
      drainedAt: 0,
    };
    try {
      const { jsm, js } = this.link.parts;
      await this.link.call(
        jsm.consumers.add(DRAIN_STREAM, {
          durable_name: consumerName(id),
          filter_subject: drainSubject(rec.app_id),
          ack_policy: AckPolicy.Explicit,
          ack_wait: Math.max(2 * this.tickMs, this.leaseMs) * 1_000_000,
          max_ack_pending: 2_000,
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: rec.created_at,
        }),
        'create the drain consumer',
      );
      o.consumer = await this.link.call(js.consumers.get(DRAIN_STREAM, consumerName(id)), 'open the drain consumer');
    } catch (err) {
      this.o.logger.warn({ drain: id, err: String(err) }, 'could not open the drain consumer; giving the lease back');
      await this.link.call(this.kv!.delete(id), 'give a drain lease back').catch(() => {});
      return;
    }
    this.owned.set(id, o);
    this.manager?.resync(id);
    this.o.logger.info({ drain: id, from: prev?.owner ?? null }, 'took the drain');
    void this.pull(o);
  }

  /** Whether the drain's local queue has room for `lines` more (lines and bytes, half its memory budget). */
  private room(o: Owned, lines: number): boolean {
    const h = this.manager?.health(o.id);
    if (!h) return false;
    if (h.queued === 0) return true; // one message always fits, however big
    return h.queued + lines <= this.maxQueued && h.queued_bytes < this.maxQueuedBytes;
  }

  private async pull(o: Owned): Promise<void> {
    while (!o.stopped && !this.closed) {
      this.progress(o);
      if (!this.manager?.health(o.id)) break;
      if (!o.consumer || !this.room(o, 1)) {
        await sleep(20);
        continue;
      }
      try {
        const it = await o.consumer.fetch({ max_messages: 20, expires: 1_000 });
        let fetched = 0;
        for await (const m of it) {
          fetched++;
          if (o.stopped) break; // not acked: the next owner gets it
          const lines = decodeLines(m.data);
          // Never more than the drain's queue takes: the rest waits (replicated) in the stream.
          while (!o.stopped && !this.room(o, lines.length)) {
            await sleep(10);
            this.progress(o);
          }
          if (o.stopped) break;
          if (m.info.redelivered) o.redelivered += lines.length;
          this.countGap(o, m, lines.length);
          // Line numbers from the stream position, blocks cut at message boundaries: a message another
          // owner sends again makes the same batches under the same Frame-Ids, and two owners never
          // give one Frame-Id to different lines (a receiver that de-duplicates would drop them).
          for (let i = 0; i < lines.length; i++) this.manager?.push(o.id, lines[i], m.seq * LINES_PER_MESSAGE + i);
          o.pushed += lines.length;
          o.unacked.push({ msg: m, upTo: o.pushed });
        }
        if (fetched < 20) o.drainedAt = Date.now();
      } catch {
        await sleep(250); // the engine is away: lines wait in the stream
      }
    }
  }

  /** Acks what the drain has delivered or dropped; keeps the rest alive. */
  private progress(o: Owned): void {
    this.settleGaps(o);
    const h = this.manager?.health(o.id);
    if (!h) return;
    const done = h.delivered + h.dropped - o.discarded;
    while (o.unacked.length > 0 && o.unacked[0].upTo <= done) o.unacked.shift()!.msg.ack();
    for (const u of o.unacked) u.msg.working();
  }

  /**
   * Gaps still open once the consumer has come back short an ack wait after they were seen: no
   * redelivery can fill them any more, so those lines are gone from the stream. Counted as the
   * drain's dropped and told in an L10.
   */
  private settleGaps(o: Owned): void {
    if (o.gaps.length === 0) return;
    const ackWaitMs = Math.max(2 * this.tickMs, this.leaseMs);
    let lost = 0;
    o.gaps = o.gaps.filter((g) => {
      if (o.drainedAt - g.at < ackWaitMs) return true;
      lost += g.to - g.from;
      return false;
    });
    if (lost === 0) return;
    o.discarded += lost;
    this.discardedTotal += lost;
    this.manager?.lost(o.id, lost, new Date());
    this.o.logger.warn({ drain: o.id, lines: lost }, 'drain lines were discarded by the drain stream (its age or size limit) before this drain took them: counted as dropped (L10)');
  }

  /**
   * Lines the stream discarded before this drain read them (its age and byte limits drop the
   * oldest), or that the publishing node lost: the message's first line number is past the one
   * this publisher's previous message ended at. Counted as the drain's dropped, told in an L10.
   */
  private countGap(o: Owned, m: JsMsg, lines: number): void {
    const id = parseMessageId(m.headers?.get(MESSAGE_HEADER));
    if (!id) return;
    const end = id.firstLine + lines;
    // A message that comes late (a redelivery) fills what it covers of a gap seen before it.
    if (o.gaps.length > 0) {
      o.gaps = o.gaps.flatMap((g) => {
        if (g.publisher !== id.publisher || id.firstLine >= g.to || end <= g.from) return [g];
        const rest: Gap[] = [];
        if (g.from < id.firstLine) rest.push({ ...g, to: id.firstLine });
        if (end < g.to) rest.push({ ...g, from: end });
        return rest;
      });
    }
    const want = o.next.get(id.publisher);
    if (want !== undefined && id.firstLine > want) o.gaps.push({ publisher: id.publisher, from: want, to: id.firstLine, at: Date.now() });
    o.next.set(id.publisher, Math.max(want ?? 0, end));
    // Publishers are nodes (one per start): a bounded map, the oldest forgotten first.
    if (o.next.size > 256) o.next.delete(o.next.keys().next().value as string);
  }

  private snapshot(o: Owned): SharedDrainHealth {
    const h = this.manager?.health(o.id) ?? idleHealth();
    return {
      ...h,
      delivered: o.base.delivered + h.delivered,
      dropped: o.base.dropped + h.dropped,
      owner: this.o.node,
      redelivered: o.base.redelivered + o.redelivered,
      updated_at: new Date().toISOString(),
    };
  }

  private async release(id: string, why: string, removed = false): Promise<void> {
    const o = this.owned.get(id);
    if (!o) return;
    this.progress(o);
    o.stopped = true;
    if (!removed) await this.board.put(id, this.snapshot(o)).catch(() => {});
    this.owned.delete(id);
    this.manager?.resync(id);
    this.o.logger.info({ drain: id, why }, 'gave the drain up');
    if (this.leases.get(id)?.owner === this.o.node) {
      this.leases.delete(id);
      await this.link.call(this.kv!.delete(id), 'give a drain lease back').catch(() => {});
    }
    if (removed) {
      await this.link.call(this.link.parts.jsm.consumers.delete(DRAIN_STREAM, consumerName(id)), 'remove the drain consumer').catch(() => {});
      await this.board.remove(id);
    }
  }
}

/** Lines of one stream message never reach this (512 KiB at >= 76 bytes a line): line number = seq × this + index. */
const LINES_PER_MESSAGE = 65_536;

const idleHealth = (): DrainHealth => new HealthTracker(1).snapshot(emptyCounters(), emptyQueueStats());

const consumerName = (drainId: string): string => `drain-${drainId}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
