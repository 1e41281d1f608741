// A counting sink in its own process: `node dist/bench/lib/sink-process.js --kind http|tcp [--latency]`.
// Prints its port on the first stdout line, then answers the parent's requests over IPC, so the
// sink's event loop never waits behind the load generator's send loop (see ChildSink).

import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { HttpSink, TcpSink } from './sinks.js';

/** A request from the parent; every request is answered with the same `id`. */
export type SinkRequest =
  | { id: number; op: 'stats' }
  | { id: number; op: 'settle'; target: number; idleMs: number; timeoutMs: number }
  | { id: number; op: 'percentiles'; ps: number[] }
  | { id: number; op: 'reset' }
  | { id: number; op: 'close' };

/**
 * The answer. Instants are epoch milliseconds (performance.timeOrigin + performance.now()), so
 * the parent can turn them into its own performance.now() scale; 0 stays 0 ("never").
 */
export interface SinkReply {
  id: number;
  count: number;
  bytes: number;
  firstAt: number;
  lastAt: number;
  connections: number;
  requests: number;
  reached?: boolean;
  at?: number;
  percentiles?: number[];
  error?: string;
}

const epoch = (t: number): number => (t === 0 ? 0 : performance.timeOrigin + t);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kind: { type: 'string' }, latency: { type: 'boolean', default: false } } });
  if (values.kind !== 'http' && values.kind !== 'tcp') throw new Error('--kind must be http or tcp');
  const opts = { latency: values.latency };
  const sink = values.kind === 'http' ? await HttpSink.start(opts) : await TcpSink.start(opts);
  const base = (id: number): SinkReply => ({
    id,
    count: sink.count,
    bytes: sink.bytes,
    firstAt: epoch(sink.firstAt),
    lastAt: epoch(sink.lastAt),
    connections: sink instanceof TcpSink ? sink.connections : 0,
    requests: sink instanceof HttpSink ? sink.requests : 0,
  });
  const reply = (r: SinkReply): void => {
    if (process.connected) process.send?.(r);
  };
  process.on('message', (m: SinkRequest) => {
    void (async (): Promise<void> => {
      try {
        switch (m.op) {
          case 'stats':
            return reply(base(m.id));
          case 'settle': {
            const w = await sink.settle(m.target, m.idleMs, m.timeoutMs);
            return reply({ ...base(m.id), reached: w.reached, count: w.count, at: epoch(w.at) });
          }
          case 'percentiles':
            return reply({ ...base(m.id), percentiles: sink.percentiles(m.ps) });
          case 'reset':
            sink.reset();
            return reply(base(m.id));
          case 'close':
            await sink.close();
            reply(base(m.id));
            process.disconnect();
            return;
        }
      } catch (err) {
        reply({ ...base(m.id), error: (err as Error).message ?? String(err) });
      }
    })();
  });
  // The parent went away (or closed us): nothing left to answer.
  process.on('disconnect', () => {
    void sink.close().finally(() => process.exit(0));
  });
  process.stdout.write(`${sink.port}\n`);
}

main().catch((err: unknown) => {
  console.error(`sink-process: ${(err as Error).message ?? String(err)}`);
  process.exit(1);
});
