// The drains' series in /metrics. Labels are the drain id and kind only: never the URL (it may
// hold a password).
import type { Metrics } from '../telemetry/metrics.js';
import type { DrainHealth } from './health.js';
import type { Entry } from './manager.js';
import type { DrainQueue } from './queue/queue.js';

interface Source {
  list(): Entry[];
  health(id: string): DrainHealth | undefined;
  spoolUsage(): { bytes: number; max: number };
}

export function registerDrainMetrics(m: Metrics, src: Source): void {
  const series = (f: (h: DrainHealth, e: Entry) => number) => (): Array<[Record<string, string>, number]> =>
    src.list().flatMap((e) => {
      const h = src.health(e.record.id);
      return h ? [[{ drain: e.record.id, kind: e.kind ?? 'unknown' }, f(h, e)] as [Record<string, string>, number]] : [];
    });
  const signalSeries = (f: (q: DrainQueue) => number): Array<[Record<string, string>, number]> =>
    src.list().flatMap((e) => (e.signals ? [[{ drain: e.record.id, kind: e.kind ?? 'unknown' }, f(e.signals)] as [Record<string, string>, number]] : []));
  m.counterFrom('sluice_drain_delivered_messages_total', 'Messages a drain delivered (2xx, or written to the socket); survives restarts.', series((h) => h.delivered));
  m.counterFrom('sluice_drain_dropped_messages_total', 'Messages a drain lost (past a queue budget, refused, unreadable in the spool); survives restarts.', series((h) => h.dropped));
  m.counterFrom('sluice_drain_spooled_messages_total', 'Messages written to a drain spool; survives restarts.', series((h) => h.spooled));
  m.counterFrom('sluice_drain_corrupt_messages_total', 'Messages skipped as unreadable in a drain spool (torn or garbled records).', series((h) => h.corrupt));
  m.counterFrom('sluice_drain_resent_messages_total', 'Messages written again after a syslog connection broke mid-write (possible duplicates).', series((h) => h.resent));
  m.counterFrom(
    'sluice_drain_dropped_signal_requests_total',
    'Traces and metrics requests a telemetry drain lost (past its budgets, refused, out of retries); survives restarts.',
    () => signalSeries((q) => q.counters.dropped),
  );
  m.gauge('sluice_drain_queued_signal_requests', 'Traces and metrics requests queued for a telemetry drain: memory, spool or in flight.', () => signalSeries((q) => q.length));
  m.gauge('sluice_drain_queued_messages', 'Messages queued for a drain: memory, spool or in flight.', series((h) => h.queued));
  m.gauge('sluice_drain_queued_bytes', 'Bytes of frames queued for a drain.', series((h) => h.queued_bytes));
  m.gauge('sluice_drain_memory_bytes', 'Bytes of a drain queue held in memory.', series((h) => h.memory_bytes));
  m.gauge('sluice_drain_spool_bytes', 'Bytes of a drain spool on disk.', series((h) => h.spool_bytes));
  m.gauge('sluice_drain_spool_budget_ratio', "A drain spool's share of its budget (--drain-spool-bytes).", series((h) => h.spool_share));
  m.gauge('sluice_drain_oldest_queued_age_seconds', 'Age of the oldest line queued for a drain (0: none).', series((h) => (h.oldest_queued_age_ms ?? 0) / 1000));
  m.gauge('sluice_drain_consecutive_failures', 'Failed attempts since the last success.', series((h) => h.consecutive_failures));
  m.gauge('sluice_drain_up', '1 when the drain is delivering, 0 when retrying or failing.', series((h) => (h.state === 'delivering' ? 1 : 0)));
  m.gauge(
    'sluice_drain_last_success_timestamp_seconds',
    'Unix time of the last successful delivery (0: never).',
    series((_h, e) => (e.health.lastSuccessAt ? e.health.lastSuccessAt.getTime() / 1000 : 0)),
  );
  m.gauge('sluice_spool_bytes', 'Bytes of all drain spools on disk.', () => src.spoolUsage().bytes);
  m.gauge('sluice_spool_budget_bytes', 'The budget all drain spools share (--spool-max-bytes).', () => src.spoolUsage().max);
}
