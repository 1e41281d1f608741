// Cluster mode throughput: 1, 2 and 3 nodes on a 3-server NATS cluster, each with its own input and drain.
// Measures lines/s (accepted and delivered), CPU per node and per NATS server, engine messages per line.
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { startNats, type TestNats } from '../test/cluster-nats.js';
import { CpuMeter } from './lib/proc.js';
import { HttpSink } from './lib/sinks.js';
import { addDrain, createApp, metricSum, startSluice, type SluiceNode } from './lib/sluice.js';

export interface ClusterRow {
  nodes: number;
  /** Lines answered 204, all nodes together, per second of load. */
  acceptedPerSec: number;
  /** Lines the drains received, per second from the first request to the last arrival. */
  deliveredPerSec: number;
  delivered: number;
  accepted: number;
  /** CPU% per Sluice node (100 = one core) over the load window. */
  nodeCpu: number[];
  /** CPU% of the three nats-server processes together. */
  natsCpu: number;
  /** Engine messages (history + drain stream) per accepted line. */
  messagesPerLine: number;
}

const BATCH = 100;
const CLIENTS_PER_NODE = 4;

function body(token: string, node: number, seq: number): Buffer {
  const frames: string[] = [];
  for (let i = 0; i < BATCH; i++) {
    const msg = `<190>1 2026-01-01T00:00:00.000000+00:00 host ${token} web.1 - - bench ${node}.${seq}.${i} ${'x'.repeat(100)}`;
    frames.push(`${Buffer.byteLength(msg)} ${msg}`);
  }
  return Buffer.from(frames.join(''));
}

/** Keep-alive clients posting batches to one node for `ms`; returns lines answered 204. */
async function drive(node: SluiceNode, idx: number, token: string, ms: number): Promise<number> {
  const agent = new Agent({ connections: CLIENTS_PER_NODE, pipelining: 1 });
  const auth = `Basic ${Buffer.from(`token:${token}`).toString('base64')}`;
  const end = performance.now() + ms;
  let seq = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: CLIENTS_PER_NODE }, async () => {
      while (performance.now() < end) {
        const res = await request(`http://127.0.0.1:${node.httpPort}/logs`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: auth, 'content-type': 'application/logplex-1' },
          body: body(token, idx, seq++),
        });
        await res.body.dump();
        if (res.statusCode === 204) accepted += BATCH;
      }
    }),
  );
  await agent.close();
  return accepted;
}

async function engineMessages(nodes: SluiceNode[]): Promise<number> {
  let n = 0;
  for (const node of nodes) {
    n += (await metricSum(node, 'sluice_cluster_history_messages_total')) ?? 0;
    n += (await metricSum(node, 'sluice_cluster_drain_feed_messages_total')) ?? 0;
  }
  return n;
}

/** One row: `count` fresh nodes on `nats`, each with its own app, drain and load, for `loadMs`. */
async function runNodes(nats: TestNats, count: number, loadMs: number): Promise<ClusterRow> {
  const nodes: SluiceNode[] = [];
  const sinks: HttpSink[] = [];
  try {
    for (let i = 0; i < count; i++) {
      // A fresh NATS cluster may still be placing its peers ("no suitable peers"): try again.
      let n = await startSluice(['--nats-url', nats.url]);
      for (let tries = 1; typeof n === 'string' && tries < 3; tries++) n = await startSluice(['--nats-url', nats.url]);
      if (typeof n === 'string') throw new Error(n);
      nodes.push(n);
    }
    const tokens: string[] = [];
    for (let i = 0; i < count; i++) {
      const app = await createApp(nodes[i], `cluster-bench-${count}-${i}`);
      if (typeof app === 'string') throw new Error(app);
      const sink = await HttpSink.start();
      sinks.push(sink);
      const added = await addDrain(nodes[i], `cluster-bench-${count}-${i}`, `http://127.0.0.1:${sink.port}/in`);
      if (added !== true) throw new Error(added);
      tokens.push(app.token);
    }
    await new Promise((r) => setTimeout(r, 3_000)); // drains find their owners (lease ticks)
    const before = await engineMessages(nodes);
    const meters = nodes.map((n) => new CpuMeter(n.pid).start());
    const natsMeters = nats.servers.map((s) => new CpuMeter(s.pid()!).start());
    const t0 = performance.now();
    const accepted = (await Promise.all(nodes.map((n, i) => drive(n, i, tokens[i], loadMs)))).reduce((a, b) => a + b, 0);
    const loadEnd = performance.now();
    const nodeCpu = meters.map((m) => m.stop(loadEnd).cpuPct);
    const natsCpu = natsMeters.reduce((sum, m) => sum + m.stop(loadEnd).cpuPct, 0);
    // Delivery goes on after the load: wait (bounded) until the drains have every accepted line.
    const deadline = performance.now() + 30_000;
    let delivered = 0;
    let lastAt = loadEnd;
    while (performance.now() < deadline) {
      const now = sinks.reduce((s, k) => s + k.count, 0);
      if (now !== delivered) lastAt = performance.now();
      delivered = now;
      if (delivered >= accepted) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const messages = (await engineMessages(nodes)) - before;
    return {
      nodes: count,
      accepted,
      delivered,
      acceptedPerSec: Math.round(accepted / ((loadEnd - t0) / 1000)),
      deliveredPerSec: Math.round(delivered / ((lastAt - t0) / 1000)),
      nodeCpu,
      natsCpu,
      messagesPerLine: accepted ? messages / accepted : 0,
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all(sinks.map((s) => s.close()));
  }
}

/** 1, 2 and 3 nodes on one fresh 3-server cluster; undefined when nats-server is not installed. */
export async function clusterThroughput(loadMs = 8_000): Promise<ClusterRow[] | undefined> {
  const nats = await startNats(undefined, 3);
  if (!nats) return undefined;
  try {
    const rows: ClusterRow[] = [];
    for (const count of [1, 2, 3]) {
      rows.push(await runNodes(nats, count, loadMs));
      process.stderr.write(`cluster ${count} node(s): ${rows[rows.length - 1].acceptedPerSec} lines/s accepted\n`);
    }
    return rows;
  } finally {
    await nats.stop();
  }
}

export function clusterTable(rows: ClusterRow[]): string {
  const f = (n: number): string => Math.round(n).toLocaleString('en-US');
  const out = [
    '| nodes | lines/s accepted (all nodes) | lines/s delivered to drains | delivered / accepted | CPU % per node | CPU % of 3 nats-servers | engine messages per line |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.nodes} | ${f(r.acceptedPerSec)} | ${f(r.deliveredPerSec)} | ${f(r.delivered)} / ${f(r.accepted)} | ${r.nodeCpu.map((c) => c.toFixed(0)).join(' / ')} | ${r.natsCpu.toFixed(0)} | ${r.messagesPerLine.toFixed(4)} |`,
    );
  }
  return out.join('\n');
}
