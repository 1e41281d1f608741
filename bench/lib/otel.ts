// OpenTelemetry runs: OTLP/HTTP protobuf input → syslog drain and syslog input → otlphttp drain, each beside its logplex-1 twin.

import { LINE_BYTES, LineFactory, sendHttp, sendTcp, type SendResult } from './loadgen.js';
import { OtlpSink, otlpBodies, sendOtlp } from './otlp-load.js';
import { CpuMeter, SelfCpuMeter, memory } from './proc.js';
import { formatNumber, linesPerSec, resultsTable, sectionHead, writeSection, type RunResult } from './report.js';
import { HttpSink, TcpSink, type CountingSink } from './sinks.js';
import { addDrain, createApp, failure, startSluice, type SluiceNode } from './sluice.js';

const WARMUP = 5_000;
const IDLE_MS = 2_000;

export type OtelInput = 'logplex' | 'otlp' | 'syslog';
export type OtelDrain = 'syslog' | 'http' | 'otlphttp';

/** One run on a fresh node: `lines` of `input` into one app whose one drain is `drain`; lines/s to the sink, Sluice's CPU%. */
export async function otelRun(name: string, input: OtelInput, drain: OtelDrain, lines: number): Promise<RunResult> {
  const node = await startSluice();
  if (typeof node === 'string') return { name, unavailable: node };
  const sink: CountingSink = drain === 'syslog' ? await TcpSink.start() : drain === 'http' ? await HttpSink.start() : await OtlpSink.start();
  try {
    const app = await createApp(node, 'bench');
    if (typeof app === 'string') return { name, unavailable: app };
    const added = await attach(node, drain, sink.port);
    if (added !== true) return { name, unavailable: added };
    const factory = new LineFactory({ appName: app.token });
    const bodies = input === 'otlp' ? otlpBodies(8) : [];
    let seq = 0;
    const drive = async (n: number): Promise<{ send: SendResult; at: number; got: number }> => {
      const base = sink.count;
      const send =
        input === 'otlp'
          ? await sendOtlp(node.httpPort, app.token, n, bodies)
          : input === 'logplex'
            ? await sendHttp({ host: '127.0.0.1', port: node.httpPort, factory, lines: n, firstSeq: seq, token: app.token })
            : await sendTcp({ host: '127.0.0.1', port: node.syslogPort, factory, lines: n, firstSeq: seq });
      seq += n;
      if (send.rejected > 0) throw new Error(`${send.rejected} requests refused, e.g. ${send.rejections[0]}`);
      const w = await sink.settle(base + send.lines, IDLE_MS, 60_000);
      return { send, at: w.at, got: w.count - base };
    };
    await drive(WARMUP);
    const cpu = new CpuMeter(node.pid).start();
    const self = new SelfCpuMeter().start();
    const { send, at, got } = await drive(lines);
    const cpuPct = cpu.stop(at).cpuPct;
    const benchCpuPct = self.stop(at);
    const lost = send.lines - got;
    return {
      name,
      lines: got,
      bytes: got * LINE_BYTES,
      elapsedMs: at - send.startedAt,
      cpuPct,
      benchCpuPct,
      peakRssMb: memory(node.pid).peakMb,
      lost: lost > 0 ? lost : undefined,
      note: lost > 0 ? `${((lost / send.lines) * 100).toFixed(1)}% did not arrive` : 'no loss',
    };
  } catch (err) {
    return { name, unavailable: await failure(node, err) };
  } finally {
    await sink.close();
    await node.stop();
  }
}

async function attach(node: SluiceNode, drain: OtelDrain, port: number): Promise<true | string> {
  if (drain === 'syslog') return addDrain(node, 'bench', `syslog://127.0.0.1:${port}`);
  if (drain === 'http') return addDrain(node, 'bench', `http://127.0.0.1:${port}/logs`);
  const app = await node.api('GET', '/apps/bench');
  const id = (app.json as { id?: string } | null)?.id;
  const r = await node.api('POST', '/telemetry-drains', { exporter: { type: 'otlphttp', endpoint: `http://127.0.0.1:${port}`, headers: {} }, owner: { id, type: 'app' }, signals: ['logs'] });
  return r.status === 201 ? true : `POST /telemetry-drains answered ${r.status} ${r.text.slice(0, 120)}`;
}

/** The four runs: two pairs, each OpenTelemetry path beside its logplex-1 twin. */
export const OTEL_RUNS: ReadonlyArray<{ name: string; input: OtelInput; drain: OtelDrain }> = [
  { name: 'O1. logplex-1 POST /logs ×500 → 1 syslog drain', input: 'logplex', drain: 'syslog' },
  { name: 'O2. OTLP/HTTP protobuf POST /v1/logs ×500 → 1 syslog drain', input: 'otlp', drain: 'syslog' },
  { name: 'O3. syslog TCP → 1 HTTP drain (logplex-1)', input: 'syslog', drain: 'http' },
  { name: 'O4. syslog TCP → 1 otlphttp telemetry drain', input: 'syslog', drain: 'otlphttp' },
];

/** Sluice CPU-seconds per million lines delivered: what a line costs, whatever the rate. */
const cpuPerMillion = (r: RunResult): number => ((r.cpuPct ?? NaN) / 100 / linesPerSec(r)) * 1e6;

/** Runs OTEL_RUNS (those matching `filter`), prints them and writes the `otel` section of docs/benchmarks.md. */
export async function otelSection(lines: number, o: { filter?: string; writeDoc: boolean; command: string }): Promise<void> {
  const rows: RunResult[] = [];
  for (const run of OTEL_RUNS) {
    if (o.filter && !run.name.includes(o.filter)) continue;
    const r = await otelRun(run.name, run.input, run.drain, lines);
    rows.push(r);
    console.log(r.unavailable ? `${r.name}: not available: ${r.unavailable}` : `${r.name}: ${formatNumber(linesPerSec(r))} lines/s, CPU ${formatNumber(r.cpuPct)}% ${r.note ?? ''}`);
  }
  const pair = (a: string, b: string, what: string): string | undefined => {
    const x = rows.find((r) => r.name.startsWith(a));
    const y = rows.find((r) => r.name.startsWith(b));
    if (!x || !y || x.unavailable || y.unavailable) return undefined;
    return `${what}: ${formatNumber(linesPerSec(y) / linesPerSec(x), 2)}× the lines/s of logplex-1, ${formatNumber(cpuPerMillion(y) / cpuPerMillion(x), 2)}× its CPU per line (${formatNumber(cpuPerMillion(y), 1)} vs ${formatNumber(cpuPerMillion(x), 1)} CPU-s per million lines)`;
  };
  const ratios = [pair('O1.', 'O2.', 'OTLP protobuf input'), pair('O3.', 'O4.', 'otlphttp drain')].filter(Boolean);
  const table = resultsTable(rows);
  console.log(`\n${table}\n${ratios.length ? `\n**Ratios: ${ratios.join('; ')}.**` : ''}`);
  if (!o.writeDoc || rows.length === 0) return;
  writeSection(
    o.filter ? `otel-${o.filter.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}` : 'otel',
    `${sectionHead('OpenTelemetry: OTLP input and telemetry drains', o.command)}
Four runs in one go, each on a fresh \`sluice serve\` with one app and one drain: ${formatNumber(lines)} lines measured
after ${formatNumber(WARMUP)} of warm-up, ${LINE_BYTES}-byte messages. O2 posts ExportLogsServiceRequests of 500
LogRecords (built once with the official proto files) to \`/v1/logs\` from 4 keep-alive connections, as O1
posts logplex-1 batches of 500 to \`/logs\`; O4's receiver gunzips each request and counts its LogRecords
by walking the protobuf (no decoding), as O3's counts \`Logplex-Msg-Count\`. Sinks share the bench process
with the generator. lines/s counts lines that reached the sink, from the first send to the last arrival;
CPU% is Sluice's own (100% = one core).
**The machine was shared with other work (2 cores, other helpers' builds and tests running), so the
absolute figures move from run to run: compare the pairs within this run (the ratios), not the absolutes.**

${table}
${ratios.length ? `\n**Ratios: ${ratios.join('; ')}.**\n` : ''}`,
  );
}
