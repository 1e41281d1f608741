// Named events of the ingest path; each increments a Prometheus counter (labels never hold secrets).
import type { Metrics } from './metrics.js';

export type Transport = 'http' | 'tcp' | 'tls' | 'udp';

export interface IngestEvents {
  received(transport: Transport, lines: number): void;
  /** Lines or requests refused; `reason` is a fixed word: malformed, unknown_token, too_large, … */
  rejected(transport: Transport, reason: string, lines?: number): void;
  duplicateBatch(): void;
}

/** `onRejected` also hears every refusal (the server log's rate-limited summary, log-events.ts). */
export function ingestEvents(m: Metrics, onRejected?: (transport: Transport, reason: string, lines: number) => void): IngestEvents {
  const received = m.counter('sluice_lines_received_total', 'Log lines accepted for routing, by transport.');
  const rejected = m.counter('sluice_input_rejected_total', 'Lines or requests refused at input, by transport and reason.');
  const dup = m.counter('sluice_http_duplicate_batches_total', 'POST /logs requests ignored as retries (repeated Logplex-Frame-Id).');
  return {
    received: (transport, lines) => received({ transport }, lines),
    rejected: (transport, reason, lines = 1) => {
      rejected({ transport, reason }, lines);
      onRejected?.(transport, reason, lines);
    },
    duplicateBatch: () => dup(),
  };
}
