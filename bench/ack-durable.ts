// POST /logs throughput and latency with `--ack durable` against the default (ack on receipt).
// Run: npm run bench:ack  (builds first). Prints a markdown table for docs/benchmarks.md.
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { createApp, startSluice } from './lib/sluice.js';

const DURATION_MS = Number(process.env.SLUICE_BENCH_ACK_MS ?? 5_000);
const BATCH = 100;
const CONCURRENCY = [1, 8, 32];

interface Row {
  mode: string;
  concurrency: number;
  requests: number;
  linesPerSec: number;
  p50: number;
  p99: number;
  max: number;
}

function body(token: string, seq: number): Buffer {
  const frames: string[] = [];
  for (let i = 0; i < BATCH; i++) {
    const msg = `<190>1 2026-01-01T00:00:00.000000+00:00 host ${token} web.1 - - bench line ${seq}.${i} ${'x'.repeat(120)}`;
    frames.push(`${Buffer.byteLength(msg)} ${msg}`);
  }
  return Buffer.from(frames.join(''));
}

/** `concurrency` keep-alive clients posting batches back to back for DURATION_MS. */
async function drive(port: number, token: string, concurrency: number): Promise<{ latencies: number[]; elapsed: number }> {
  const agent = new Agent({ connections: concurrency, pipelining: 1 });
  const auth = `Basic ${Buffer.from(`token:${token}`).toString('base64')}`;
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + DURATION_MS;
  let seq = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const payload = body(token, seq++);
        const t0 = performance.now();
        const res = await request(`http://127.0.0.1:${port}/logs`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: auth, 'content-type': 'application/logplex-1' },
          body: payload,
        });
        await res.body.dump();
        if (res.statusCode !== 204) throw new Error(`POST /logs answered ${res.statusCode}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - start;
  await agent.close();
  return { latencies, elapsed };
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const mode of ['receipt', 'durable']) {
    for (const concurrency of CONCURRENCY) {
      const node = await startSluice(['--ack', mode]);
      if (typeof node === 'string') throw new Error(node);
      try {
        const app = await createApp(node, 'bench');
        if (typeof app === 'string') throw new Error(app);
        const { latencies, elapsed } = await drive(node.httpPort, app.token, concurrency);
        const sorted = latencies.sort((a, b) => a - b);
        rows.push({
          mode,
          concurrency,
          requests: sorted.length,
          linesPerSec: Math.round((sorted.length * BATCH) / (elapsed / 1000)),
          p50: pct(sorted, 50),
          p99: pct(sorted, 99),
          max: sorted[sorted.length - 1],
        });
        process.stderr.write(`${mode} ×${concurrency}: ${rows[rows.length - 1].linesPerSec} lines/s\n`);
      } finally {
        await node.stop();
      }
    }
  }
  const ms = (v: number): string => v.toFixed(1);
  process.stdout.write(`| --ack | clients | requests | lines/s | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|\n`);
  for (const r of rows) {
    process.stdout.write(`| ${r.mode} | ${r.concurrency} | ${r.requests} | ${r.linesPerSec.toLocaleString('en-US')} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} |\n`);
  }
}

await main();
