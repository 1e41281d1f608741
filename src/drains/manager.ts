// The drain manager: the router's subscriber for drains. It follows the config store (drains
// created, moved or deleted by anyone — the API, add-on partners, another node) and owns one
// drain per record, with its buffer and health.
import type { LogLine } from '../core/log-line.js';
import type { Subscriber } from '../router/subscriber.js';
import type { ConfigStore } from '../store/contract.js';
import type { DrainRecord } from '../store/records.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { SignalPayload } from '../wire/otlp/types.js';
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
}

interface Entry {
  record: DrainRecord;
  /** False for a telemetry drain that did not ask for logs. */
  logs: boolean;
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
      if (!e.logs) continue;
      if (e.drain !== undefined) e.drain.push(line);
      else e.buffer.drop(1); // a record we cannot deliver to: counted, never held
    }
  }

  /** A traces or metrics request to every telemetry drain of the app that asked for that signal; returns how many. */
  forward(appId: string, payload: SignalPayload): number {
    let n = 0;
    for (const e of this.byApp.get(appId) ?? []) {
      if (!e.record.telemetry?.signals.includes(payload.signal) || !e.drain?.pushSignal) continue;
      e.drain.pushSignal(payload);
      n++;
    }
    return n;
  }

  /** Brings the running drain for `id` in line with the store: create, move, or stop. */
  private sync(id: string): void {
    if (this.stopped) return;
    const rec = this.store.getDrain(id);
    const cur = this.entries.get(id);
    if (!rec) {
      if (cur) this.remove(cur);
      return;
    }
    if (
      cur &&
      cur.record.url === rec.url &&
      cur.record.token === rec.token &&
      cur.record.app_id === rec.app_id &&
      JSON.stringify(cur.record.telemetry) === JSON.stringify(rec.telemetry)
    ) {
      cur.record = rec;
      return;
    }
    if (cur && cur.record.app_id !== rec.app_id) this.remove(cur);
    const keep = cur && cur.record.app_id === rec.app_id ? cur : undefined;
    // A moved drain keeps its buffer and counters: lines queued for the old URL go to the new one.
    keep?.drain?.destroy();
    const entry: Entry = keep ?? {
      record: rec,
      logs: true,
      kind: undefined,
      drain: undefined,
      buffer: new DrainBuffer(this.bufferSize),
      health: new HealthTracker(this.options.failingAfter),
    };
    entry.record = rec;
    entry.logs = !rec.telemetry || rec.telemetry.signals.includes('logs');
    entry.kind = rec.telemetry ? rec.telemetry.type : drainKindOf(rec.url);
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
          telemetry: rec.telemetry ? { ...rec.telemetry, appName: this.store.getApp(rec.app_id)?.name ?? rec.app_id } : undefined,
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

  /** Passed-through traces/metrics requests a telemetry drain lost (undefined for other drains). */
  signalsDropped(id: string): number | undefined {
    return this.entries.get(id)?.drain?.signalsDropped;
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
    m.counterFrom(
      'sluice_drain_dropped_signal_requests_total',
      'Traces and metrics requests a telemetry drain lost since start (queue full, refused, out of retries).',
      () =>
        [...this.entries.values()]
          .filter((e) => e.drain?.signalsDropped !== undefined)
          .map((e): [Record<string, string>, number] => [{ drain: e.record.id, kind: e.kind ?? 'unknown' }, e.drain!.signalsDropped!]),
    );
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
