// Traces and metrics posted to any node reach the telemetry drain's owner: core NATS, one subject per drain.
import { headers as natsHeaders, type Subscription } from '@nats-io/transport-node';
import type { DrainManager } from '../drains/manager.js';
import type { NatsLink } from '../engine/nats/link.js';
import type { ConfigStore } from '../store/contract.js';
import type { SignalPayload } from '../wire/otlp/types.js';

export const signalSubject = (drainId: string): string => `sluice.signal.${drainId}`;

/**
 * Passthrough requests are memory-only by design (a drain keeps at most 8 MiB of them), so the
 * relay is too: the node that received a request publishes it (core NATS, at most once) on the
 * subject of each of the app's telemetry drains that asked for the signal and runs elsewhere; the
 * owner subscribes to the subjects of the telemetry drains it owns (checked every second, and on
 * every request). Loss window: a request published while no node holds the drain (a change of
 * owner: up to the lease TTL plus 3 s), while the engine is unreachable, or bigger than the
 * servers' max_payload (1 MiB by default) — counted in `dropped` where the sender can tell.
 */
export class SignalRelay {
  private subs = new Map<string, Subscription>();
  private timer: NodeJS.Timeout;
  /** Requests handed to other nodes, and those that could not be. */
  relayed = 0;
  dropped = 0;
  received = 0;

  constructor(
    private readonly link: NatsLink,
    private readonly store: ConfigStore,
    private readonly drains: DrainManager,
    private readonly owns: (id: string) => boolean,
  ) {
    this.timer = setInterval(() => this.sync(), 1_000);
    this.timer.unref();
  }

  /** The app's telemetry drains that asked for the signal get it: here if owned here, else through the engine. */
  forward(appId: string, p: SignalPayload): number {
    let n = 0;
    for (const d of this.store.listDrains(appId)) {
      if (!d.telemetry?.signals.includes(p.signal)) continue;
      if (this.owns(d.id)) {
        if (this.drains.forwardTo(d.id, p)) n++;
        continue;
      }
      try {
        this.link.guard();
        const h = natsHeaders();
        h.set('Sluice-Signal', p.signal);
        h.set('Content-Type', p.contentType);
        if (p.contentEncoding) h.set('Content-Encoding', p.contentEncoding);
        this.link.nc.publish(signalSubject(d.id), p.body, { headers: h });
        this.relayed++;
        n++;
      } catch {
        this.dropped++;
      }
    }
    return n;
  }

  /** Subscribes to the drains owned here, unsubscribes from the others. */
  sync(): void {
    const want = new Set(this.store.listDrains().filter((d) => d.telemetry && d.telemetry.signals.some((s) => s !== 'logs') && this.owns(d.id)).map((d) => d.id));
    for (const [id, sub] of this.subs) {
      if (want.has(id)) continue;
      sub.unsubscribe();
      this.subs.delete(id);
    }
    for (const id of want) {
      if (this.subs.has(id)) continue;
      try {
        this.subs.set(id, this.link.nc.subscribe(signalSubject(id), { callback: (err, m) => {
          if (err) return;
          const signal = m.headers?.get('Sluice-Signal');
          if (signal !== 'traces' && signal !== 'metrics') return;
          const enc = m.headers?.get('Content-Encoding');
          this.received++;
          this.drains.forwardTo(id, { signal, body: Buffer.from(m.data), contentType: m.headers?.get('Content-Type') || 'application/x-protobuf', contentEncoding: enc === 'gzip' ? 'gzip' : undefined });
        } }));
      } catch {
        // The connection is closed or draining: tried again on the next sync.
      }
    }
  }

  /** Telemetry drains this node listens for relayed requests of. */
  get listening(): number {
    return this.subs.size;
  }

  close(): void {
    clearInterval(this.timer);
    for (const s of this.subs.values()) s.unsubscribe();
    this.subs.clear();
  }
}
