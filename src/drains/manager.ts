// The drain manager: the router's subscriber for drains. It follows the config store (drains
// created, moved or deleted by anyone — the API, add-on partners, another node) and owns one
// drain per record, with its buffer and health.
import type { LogLine } from '../core/log-line.js';
import type { Subscriber } from '../router/subscriber.js';
import type { ConfigStore } from '../store/contract.js';
import type { DrainRecord } from '../store/records.js';
import type { Metrics } from '../telemetry/metrics.js';
import { DrainBuffer } from './buffer.js';
import { DEFAULT_DRAIN_OPTIONS, type Drain, type DrainOptions, type DrainTestResult } from './contract.js';
import { HealthTracker, type DrainHealth } from './health.js';
import { defaultRegistry, type DrainRegistry } from './registry.js';
import { drainKindOf, type DrainKind } from './url.js';

export interface DrainManagerOptions {
  /** Messages per drain buffer (SPEC §8, default 1024). */
  bufferSize?: number;
  options?: Partial<DrainOptions>;
  registry?: DrainRegistry;
  /** Extra CA (PEM) trusted for TLS drains, besides the system's. */
  ca?: Buffer;
  /** Writes into an app's log without going to its drains (history and tails): L14. */
  appLog?: (appId: string, line: LogLine) => void;
  metrics?: Metrics;
  /**
   * Cluster mode: whether this node owns the drain. Drains it does not own get no worker here;
   * `resync(id)` is called when that changes, and the owner feeds lines with `push`.
   */
  owns?: (drainId: string) => boolean;
}

interface Entry {
  record: DrainRecord;
  kind: DrainKind | undefined;
  drain: Drain | undefined;
  buffer: DrainBuffer;
  health: HealthTracker;
}

export class DrainManager implements Subscriber {
  private readonly entries = new Map<string, Entry>();
  /** appId → the drains of that app, as an array: the hot path iterates without allocating. */
  private readonly byApp = new Map<string, Entry[]>();
  private readonly options: DrainOptions;
  private readonly registry: DrainRegistry;
  private readonly bufferSize: number;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly store: ConfigStore,
    private readonly o: DrainManagerOptions = {},
  ) {
    this.options = { ...DEFAULT_DRAIN_OPTIONS, ...o.options };
    this.registry = o.registry ?? defaultRegistry();
    this.bufferSize = o.bufferSize ?? 1024;
    if (o.metrics) this.registerMetrics(o.metrics);
  }

  /** Starts a drain for every stored record and follows changes from then on. */
  start(): this {
    this.unsubscribe = this.store.onChange((kind, id) => {
      if (kind === 'drain') this.sync(id);
    });
    for (const d of this.store.listDrains()) this.sync(d.id);
    return this;
  }

  deliver(appId: string, line: LogLine): void {
    const list = this.byApp.get(appId);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (e.drain !== undefined) e.drain.push(line);
      else e.buffer.drop(1); // a record we cannot deliver to: counted, never held
    }
  }

  /** One drain's lines, fed by its owner (cluster mode); false when it runs no worker here. */
  push(drainId: string, line: LogLine): boolean {
    const e = this.entries.get(drainId);
    if (e === undefined) return false;
    if (e.drain !== undefined) e.drain.push(line);
    else e.buffer.drop(1);
    return true;
  }

  /** Ownership of `id` changed (cluster mode): start or stop its worker. */
  resync(id: string): void {
    this.sync(id);
  }

  /** Brings the running drain for `id` in line with the store: create, move, or stop. */
  private sync(id: string): void {
    if (this.stopped) return;
    const owned = this.o.owns?.(id) ?? true;
    const rec = owned ? this.store.getDrain(id) : undefined;
    const cur = this.entries.get(id);
    if (!rec) {
      if (cur) this.remove(cur);
      return;
    }
    if (cur && cur.record.url === rec.url && cur.record.token === rec.token && cur.record.app_id === rec.app_id) {
      cur.record = rec;
      return;
    }
    if (cur && cur.record.app_id !== rec.app_id) this.remove(cur);
    const keep = cur && cur.record.app_id === rec.app_id ? cur : undefined;
    // A moved drain keeps its buffer and counters: lines queued for the old URL go to the new one.
    keep?.drain?.destroy();
    const entry: Entry = keep ?? {
      record: rec,
      kind: undefined,
      drain: undefined,
      buffer: new DrainBuffer(this.bufferSize),
      health: new HealthTracker(this.options.failingAfter),
    };
    entry.record = rec;
    entry.kind = drainKindOf(rec.url);
    const factory = entry.kind && this.registry.factory(entry.kind);
    entry.drain = undefined;
    if (entry.kind && factory) {
      try {
        entry.drain = factory({
          id: rec.id,
          appId: rec.app_id,
          token: rec.token,
          url: rec.url,
          kind: entry.kind,
          buffer: entry.buffer,
          health: entry.health,
          options: this.options,
          ca: this.o.ca,
          appLog: (line) => this.o.appLog?.(rec.app_id, line),
        });
      } catch {
        entry.drain = undefined;
      }
    }
    if (!entry.drain) entry.health.failure('the drain URL cannot be delivered to (unsupported or malformed)', true);
    if (!keep) {
      this.entries.set(id, entry);
      const list = this.byApp.get(rec.app_id) ?? [];
      this.byApp.set(rec.app_id, [...list, entry]);
    } else {
      entry.drain?.resume();
    }
  }

  private remove(e: Entry): void {
    e.drain?.destroy();
    e.buffer.discard();
    this.entries.delete(e.record.id);
    const list = this.byApp.get(e.record.app_id);
    if (list) {
      const next = list.filter((x) => x !== e);
      if (next.length) this.byApp.set(e.record.app_id, next);
      else this.byApp.delete(e.record.app_id);
    }
  }

  health(id: string): DrainHealth | undefined {
    const e = this.entries.get(id);
    return e ? e.health.snapshot(e.buffer, e.drain?.inFlight() ?? 0) : undefined;
  }

  async test(id: string): Promise<DrainTestResult | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (!e.drain) {
      return { ok: false, kind: e.kind ?? 'http', connected: false, tls: null, status: null, error: 'unsupported drain URL', duration_ms: 0 };
    }
    return e.drain.test();
  }

  /** Flushes every drain for up to `graceMs` (SPEC §8: 10 s on SIGTERM), then stops them all. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    const deadline = Date.now() + graceMs;
    await Promise.all([...this.entries.values()].map((e) => e.drain?.close(deadline)));
    this.entries.clear();
    this.byApp.clear();
  }

  private registerMetrics(m: Metrics): void {
    // Labels are the drain id and kind only: never the URL (it may hold a password).
    const series = (f: (e: Entry, h: DrainHealth) => number) => (): Array<[Record<string, string>, number]> =>
      [...this.entries.values()].map((e) => {
        const h = e.health.snapshot(e.buffer, e.drain?.inFlight() ?? 0);
        return [{ drain: e.record.id, kind: e.kind ?? 'unknown' }, f(e, h)];
      });
    m.counterFrom('sluice_drain_delivered_messages_total', 'Messages a drain delivered since start (2xx, or written to the socket).', series((_e, h) => h.delivered));
    m.counterFrom('sluice_drain_dropped_messages_total', 'Messages a drain lost since start (buffer overflow, refused, out of retries).', series((_e, h) => h.dropped));
    m.gauge('sluice_drain_queued_messages', 'Messages waiting in a drain buffer or in flight.', series((_e, h) => h.queued));
    m.gauge('sluice_drain_consecutive_failures', 'Failed attempts since the last success.', series((_e, h) => h.consecutive_failures));
    m.gauge('sluice_drain_up', '1 when the drain is delivering, 0 when retrying or failing.', series((_e, h) => (h.state === 'delivering' ? 1 : 0)));
    m.gauge(
      'sluice_drain_last_success_timestamp_seconds',
      'Unix time of the last successful delivery (0: never).',
      series((e) => (e.health.lastSuccessAt ? e.health.lastSuccessAt.getTime() / 1000 : 0)),
    );
  }
}
