// Live tails across nodes: lines routed here go to tails open on other nodes, and theirs to ours.
import type { LogLine } from '../core/log-line.js';
import type { Subscriber } from '../router/subscriber.js';
import { TailHub, type TailClient } from '../tail/hub.js';
import { channels, keys, type RedisLink } from '../store/redis-link.js';

/** A line on the bus: the LogLine's fields in order (no parsing on the receiving side). */
type WireLine = [number, string, string, string, string, string, string, string];
interface LinesMessage {
  n: string;
  a: [string, WireLine[]][];
}

export interface BusOptions {
  node: string;
  /** How long a node's "I have a tail on this app" lasts unless refreshed. */
  interestTtlMs?: number;
  /** How often interest is refreshed and everyone's re-read. */
  refreshMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Publishing costs nothing for apps nobody tails elsewhere: the bus keeps `remote`, the apps
 * some other node has a tail open on (the sorted set `sluice:tails`, member `<node>|<app>`,
 * score = expiry), and only queues lines of those apps. A node opening its first tail on an app
 * says so at once on `sluice:tails`, so other nodes start publishing within a round trip; every
 * `refreshMs` each node re-announces its own and re-reads everyone's, which is also how closed
 * tails and dead nodes fade out (after `interestTtlMs`).
 *
 * Queued lines go out once per event-loop turn as one PUBLISH (all apps together), tagged with
 * this node's id; receivers skip their own, so no tail sees a line twice.
 */
export class ClusterBus implements Subscriber {
  private readonly node: string;
  private readonly ttl: number;
  private remote = new Set<string>();
  /** Apps announced on the channel lately, with when: a refresh in flight must not forget them. */
  private announced = new Map<string, number>();
  private queued = new Map<string, WireLine[]>();
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onError: (err: unknown) => void;
  private failing = false;
  /** Lines published, and received from other nodes (for /metrics). */
  published = 0;
  received = 0;

  constructor(
    private readonly redis: RedisLink,
    private readonly hub: ClusterTailHub,
    private readonly opts: BusOptions,
  ) {
    this.node = opts.node;
    this.ttl = opts.interestTtlMs ?? 15_000;
    this.onError = opts.onError ?? (() => {});
    hub.onFirstTail = (appId) => void this.announce(appId);
  }

  async start(): Promise<this> {
    await this.redis.subscribe(channels.lines, (m) => this.heardLines(m));
    await this.redis.subscribe(channels.tails, (m) => this.heardTail(m));
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.opts.refreshMs ?? 2_000);
    this.timer.unref();
    return this;
  }

  deliver(appId: string, line: LogLine): void {
    if (!this.remote.has(appId)) return;
    let q = this.queued.get(appId);
    if (q === undefined) this.queued.set(appId, (q = []));
    q.push([line.pri, line.time, line.hostname, line.source, line.procid, line.msgid, line.sd, line.msg]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.publish());
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.publish();
    // Our tails are closed by now (listeners first): withdraw them so nobody keeps publishing.
    const mine = this.hub.apps().map((a) => `${this.node}|${a}`);
    if (mine.length > 0) await this.redis.cmd.zrem(keys.tails, ...mine).catch(() => 0);
  }

  private publish(): void {
    this.scheduled = false;
    if (this.queued.size === 0) return;
    const msg: LinesMessage = { n: this.node, a: [...this.queued] };
    let lines = 0;
    for (const [, l] of msg.a) lines += l.length;
    this.queued = new Map();
    this.published += lines;
    // A lost batch loses live lines only (history has them): told, never retried.
    this.redis.cmd.publish(channels.lines, JSON.stringify(msg)).then(
      () => (this.failing = false),
      (err: unknown) => this.fail(err),
    );
  }

  /** One report per outage, not one per publish. */
  private fail(err: unknown): void {
    if (!this.failing) this.onError(err);
    this.failing = true;
  }

  private heardLines(raw: string): void {
    let msg: LinesMessage;
    try {
      msg = JSON.parse(raw) as LinesMessage;
    } catch {
      return;
    }
    if (msg.n === this.node || !Array.isArray(msg.a)) return;
    for (const [appId, lines] of msg.a) {
      if (!this.hub.has(appId)) continue;
      for (const w of lines) {
        this.received++;
        this.hub.deliver(appId, { pri: w[0], time: w[1], hostname: w[2], source: w[3], procid: w[4], msgid: w[5], sd: w[6], msg: w[7] });
      }
    }
  }

  private heardTail(raw: string): void {
    try {
      const m = JSON.parse(raw) as { n: string; a: string };
      if (m.n !== this.node && typeof m.a === 'string') {
        this.remote.add(m.a);
        this.announced.set(m.a, Date.now());
      }
    } catch {
      /* not ours */
    }
  }

  /**
   * Tells every node to start publishing this app's lines; resolves once Redis has handed the
   * message to them (never rejects). Called before a tail is served, so a line sent anywhere
   * after the tail answered reaches it.
   */
  announce(appId: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.redis.cmd
      .multi()
      .zadd(keys.tails, Date.now() + this.ttl, `${this.node}|${appId}`)
      .publish(channels.tails, JSON.stringify({ n: this.node, a: appId }))
      .exec()
      .then(
        () => {},
        (err: unknown) => this.fail(err),
      );
  }

  /** Re-announces our tails, forgets expired ones, and re-reads who tails what elsewhere. */
  private async refresh(): Promise<void> {
    const now = Date.now();
    const m = this.redis.cmd.multi();
    for (const a of this.hub.apps()) m.zadd(keys.tails, now + this.ttl, `${this.node}|${a}`);
    m.zremrangebyscore(keys.tails, '-inf', String(now));
    m.zrange(keys.tails, '0', '-1');
    try {
      const res = await m.exec();
      const members = res?.[res.length - 1]?.[1];
      if (!Array.isArray(members)) return;
      const remote = new Set<string>();
      for (const member of members as string[]) {
        const bar = member.indexOf('|');
        if (bar > 0 && member.slice(0, bar) !== this.node) remote.add(member.slice(bar + 1));
      }
      // An announcement heard while this refresh was in flight may be newer than its read.
      for (const [app, at] of this.announced) {
        if (at >= now - 1_000) remote.add(app);
        else this.announced.delete(app);
      }
      this.remote = remote;
      this.failing = false;
    } catch (err) {
      // Keep publishing to the last known set; the next refresh tries again.
      this.fail(err);
    }
  }
}

/**
 * The TailHub of a cluster node: the same hub, plus which apps have tails open here, and a
 * hook when an app gets its first one (the bus announces it). Built only from TailHub's public
 * methods, so the hub's hot path stays as it is.
 */
export class ClusterTailHub extends TailHub {
  private perApp = new Map<string, number>();
  onFirstTail: (appId: string) => void = () => {};

  override add(appId: string, client: TailClient): () => void {
    const remove = super.add(appId, client);
    const n = this.perApp.get(appId) ?? 0;
    this.perApp.set(appId, n + 1);
    if (n === 0) this.onFirstTail(appId);
    let removed = false;
    return () => {
      remove();
      if (removed) return;
      removed = true;
      const left = (this.perApp.get(appId) ?? 1) - 1;
      if (left > 0) this.perApp.set(appId, left);
      else this.perApp.delete(appId);
    };
  }

  has(appId: string): boolean {
    return this.perApp.has(appId);
  }

  apps(): string[] {
    return [...this.perApp.keys()];
  }
}
