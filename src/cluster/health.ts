// What a cluster node says about its engine: the /healthz verdict and the /metrics series.
import type { Metrics } from '../telemetry/metrics.js';
import type { ClusterParts } from './node.js';

export interface EngineHealth {
  /** `degraded` whenever the engine is unreachable, empty or foreign. */
  status: 'ok' | 'degraded';
  engine: { kind: 'nats-jetstream'; state: string; reason?: string; cluster: string | null; node: string; spool: SpoolHealth };
}

/** Input on this node's disk waiting for the engine, and what was lost on the way (`--engine-spool-bytes`). */
interface SpoolHealth {
  history_lines: number;
  drain_lines: number;
  bytes: number;
  history_dropped: number;
  drain_dropped: number;
}

export function engineHealth(c: ClusterParts): EngineHealth {
  const state = c.link.state;
  return {
    status: state === 'ok' ? 'ok' : 'degraded',
    engine: {
      kind: 'nats-jetstream',
      state,
      ...(state === 'ok' ? {} : { reason: c.link.reason }),
      cluster: c.store.clusterId ?? null,
      node: c.node,
      spool: {
        history_lines: c.history.spooled.lines,
        drain_lines: c.feed.spooled.lines,
        bytes: c.history.spooled.bytes + c.feed.spooled.bytes,
        history_dropped: c.history.dropped,
        drain_dropped: c.feed.dropped,
      },
    },
  };
}

const STATES = ['ok', 'unreachable', 'empty', 'foreign'] as const;

export function clusterMetrics(m: Metrics, c: ClusterParts): void {
  m.gauge('sluice_engine_up', '1 while the cluster engine answers and holds this cluster\'s identity, else 0.', () => (c.link.state === 'ok' ? 1 : 0));
  m.gauge('sluice_engine_state', 'The cluster engine\'s state as this node sees it (1 for the current state).', () =>
    STATES.map((s): [Record<string, string>, number] => [{ state: s }, c.link.state === s ? 1 : 0]),
  );
  m.counterFrom('sluice_engine_failures_total', 'Engine calls that failed or timed out since start.', () => c.link.failures);
  m.counterFrom('sluice_cluster_history_dropped_total', 'Lines that never reached the history stream (engine spool full while the engine was unavailable).', () => c.history.dropped);
  m.counterFrom('sluice_cluster_history_messages_total', 'Messages published to the history stream (each holds one or more lines).', () => c.history.messages);
  m.counterFrom('sluice_cluster_history_lines_total', 'Lines published to the history stream.', () => c.history.lines);
  m.counterFrom('sluice_cluster_drain_stream_discarded_total', "Drain lines lost before their drain's owner (this node) read them: discarded by the drain stream's limits, or lost by the node that received them. Counted as the drain's dropped (L10).", () => c.ownership.discardedTotal);
  m.counterFrom('sluice_cluster_signals_relayed_total', 'Traces and metrics requests this node handed to the owner of a telemetry drain on another node (core NATS, at most once).', () => c.relay?.relayed ?? 0);
  m.counterFrom('sluice_cluster_signals_relay_dropped_total', 'Traces and metrics requests for a telemetry drain on another node that could not be handed on (engine unreachable, over its max_payload).', () => c.relay?.dropped ?? 0);
  m.counterFrom('sluice_cluster_signals_received_total', 'Traces and metrics requests received from other nodes for telemetry drains this node owns.', () => c.relay?.received ?? 0);
  m.gauge('sluice_cluster_signal_subscriptions', 'Telemetry drains owned here whose relayed traces and metrics this node listens for.', () => c.relay?.listening ?? 0);
  m.gauge('sluice_cluster_drains_owned', 'Drains this node delivers now (holds the lease of).', () => c.ownership.ownedCount);
  m.counterFrom('sluice_cluster_drain_feed_messages_total', 'Messages published to the drain stream (each holds one or more lines).', () => c.feed.messages);
  m.counterFrom('sluice_cluster_drain_feed_dropped_total', 'Drained lines that never reached the drain stream (engine spool full while the engine was unavailable).', () => c.feed.dropped);
  m.gauge('sluice_engine_spool_lines', "Input lines on this node's disk waiting for the cluster engine.", () => [
    [{ stream: 'history' }, c.history.spooled.lines],
    [{ stream: 'drains' }, c.feed.spooled.lines],
  ]);
  m.gauge('sluice_engine_spool_bytes', "Bytes of this node's engine spool files.", () => c.history.spooled.bytes + c.feed.spooled.bytes);
  m.counterFrom('sluice_cluster_tail_lines_received_total', "Lines received from other nodes for this node's tails.", () => c.hub.received);
}
