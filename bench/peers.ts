// `npm run bench:peers`: the same 200-byte-line TCP relay workload through rsyslog and Sluice in one run, with the ratio.

import { parseArgs } from 'node:util';
import { PACED_RATES, rsyslogRelay, sluiceInputOnly, sluicePacedMax, sluicePipeline, type PipelineOptions } from './lib/scenarios.js';
import { resultsTable, linesPerSec, sectionHead, writeSection, invokedAs, formatNumber, type RunResult } from './lib/report.js';
import { relayConfig } from './lib/rsyslog.js';
import { LINE_BYTES } from './lib/loadgen.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    'no-doc': { type: 'boolean', default: false },
  },
});
const lines = Number(values.lines);
if (!Number.isInteger(lines) || lines < 1000 || lines > 20_000_000) throw new Error('--lines must be an integer from 1000 to 20000000');
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 9) throw new Error('--rounds must be an integer from 1 to 9');

const log = (s: string): void => console.log(s);
log(`peers: ${lines.toLocaleString('en-US')} octet-counted RFC 5424 lines of ${LINE_BYTES} bytes over 127.0.0.1`);

const results: RunResult[] = [];
const step = async (label: string, run: () => Promise<RunResult>): Promise<RunResult> => {
  log(`… ${label}`);
  // A run that throws is reported, not fatal: the other runs' figures are still worth having.
  const r = await run().catch((err: unknown): RunResult => ({ name: label, unavailable: `failed: ${(err as Error).message ?? String(err)}` }));
  results.push(r);
  log(r.unavailable ? `  not available: ${r.unavailable}` : `  ${formatNumber(linesPerSec(r))} lines/s, CPU ${formatNumber(r.cpuPct)}%, peak RSS ${formatNumber(r.peakRssMb, 1)} MiB`);
  return r;
};

// Alternate the three, round after round: on a shared box, load comes and goes, and a ratio
// taken from neighbouring runs (then the median over rounds) is steadier than one run of each.
// Sluice runs workload 1 twice: with syslog TCP input (the relay rsyslog does) and with
// POST /logs input (log-shuttle's batches of 500); both forward to one syslog TCP drain.
const tcpRun: PipelineOptions = { name: 'Sluice syslog TCP → 1 app → syslog TCP drain', lines, input: 'syslog-tcp', drain: 'syslog' };
const httpRun: PipelineOptions = { name: 'Sluice POST /logs ×500 → 1 app → syslog TCP drain', lines, input: 'http', drain: 'syslog' };
const pairs: { rsyslog: RunResult; tcp: RunResult; http: RunResult }[] = [];
for (let i = 1; i <= rounds; i++) {
  const r = await step(`round ${i}/${rounds}: rsyslog TCP → TCP`, () => rsyslogRelay(lines));
  const tcp = await step(`round ${i}/${rounds}: Sluice TCP → TCP`, () => sluicePipeline(tcpRun));
  const http = await step(`round ${i}/${rounds}: Sluice HTTP → TCP`, () => sluicePipeline(httpRun));
  pairs.push({ rsyslog: r, tcp, http });
}
results.length = 0; // the table shows the median round of each, with every round's figure in the note

/** The run with the median lines/s, its note listing every round. */
const median = (runs: RunResult[]): RunResult => {
  const ok = runs.filter((r) => !r.unavailable);
  if (ok.length === 0) return runs[0];
  const sorted = [...ok].sort((a, b) => linesPerSec(a) - linesPerSec(b));
  const mid = sorted[Math.floor(sorted.length / 2)];
  const all = ok.map((r) => formatNumber(linesPerSec(r))).join(', ');
  return { ...mid, note: [mid.note, ok.length > 1 ? `median of ${ok.length} rounds: ${all} lines/s` : ''].filter(Boolean).join('; ') };
};
const rsyslog = median(pairs.map((p) => p.rsyslog));
const sluiceTcp = median(pairs.map((p) => p.tcp));
const sluiceHttp = median(pairs.map((p) => p.http));
results.push(rsyslog, sluiceTcp, sluiceHttp);
const ratiosOf = (pick: (p: (typeof pairs)[number]) => RunResult): number[] =>
  pairs.filter((p) => !p.rsyslog.unavailable && !pick(p).unavailable).map((p) => linesPerSec(pick(p)) / linesPerSec(p.rsyslog));
const tcpRatios = ratiosOf((p) => p.tcp);
const httpRatios = ratiosOf((p) => p.http);
// A Sluice run that lost lines flat out gets the paced search: the highest rate it delivers without loss.
for (const [run, opts] of [[sluiceTcp, tcpRun], [sluiceHttp, httpRun]] as const) {
  if (run.lost && !run.unavailable) for (const r of await sluicePacedMax(opts, PACED_RATES, 2)) results.push(r);
}
await step('Sluice input only (syslog TCP)', () => sluiceInputOnly('syslog-tcp', lines));
await step('Sluice input only (HTTP POST /logs)', () => sluiceInputOnly('http', lines));

const medianOf = (xs: number[]): number => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const ratioLine = (label: string, sluice: RunResult, ratios: number[]): string => {
  const ratio = medianOf(ratios);
  if (Number.isNaN(ratio)) return `${label}: not available — ${sluice.unavailable ?? rsyslog.unavailable ?? ''}`;
  return (
    `${label}: ${ratio.toFixed(2)}× rsyslog's lines/s (median of per-round ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}), at ${formatNumber(sluice.cpuPct)}% vs ${formatNumber(rsyslog.cpuPct)}% CPU` +
    (sluice.lost ? `; Sluice delivered ${formatNumber(sluice.lines)} of ${formatNumber(lines)} lines (its drain buffer dropped the rest)` : '; no line lost')
  );
};
const ratioLines = [
  ratioLine('Sluice/rsyslog, syslog TCP input → syslog TCP drain', sluiceTcp, tcpRatios),
  ratioLine('Sluice/rsyslog, POST /logs input → syslog TCP drain', sluiceHttp, httpRatios),
];

const table = resultsTable(results);
log('\n' + table + '\n\n' + ratioLines.join('\n'));

if (!values['no-doc']) {
  writeSection(
    'peers',
    `${sectionHead('Peers: rsyslog and Sluice, one run', invokedAs('peers.js'))}
Workload: ${lines.toLocaleString('en-US')} octet-counted RFC 5424 lines, each message ${LINE_BYTES} bytes
(${LINE_BYTES + 4} on the wire with its length prefix), sent over one TCP connection by the
bench's load generator to the process under test, which forwards them octet-counted over TCP to
a counting sink. Sluice also runs it with the same lines POSTed to /logs in batches of 500 over
4 keep-alive connections (log-shuttle's shape) instead of syslog TCP input. Generator and sink
share the bench process ("bench CPU%"); all on 127.0.0.1. 10,000 warm-up lines go first.
rsyslog and the two Sluice runs alternate for ${rounds} round(s); each row is the median round,
and each ratio is the median of the per-round ratios. A Sluice run that loses lines flat out is
followed by a paced search (${PACED_RATES.map((r) => r / 1000).join(', ')} thousand lines/s, 2 s
each, on a fresh node warmed up for 1 s at the first rate): the highest input rate delivered
without loss.

- lines/s: lines that reached the sink ÷ (first write → last arrival). Where a hop drops lines
  (Sluice's drain buffer is bounded, drop-oldest), the run ends once the sink has seen nothing
  new for 2 s, and "lost" counts the lines that never came.
- CPU%: utime+stime of the process under test, all threads, from /proc/<pid>/stat over the same
  window (100% = one core). Peak RSS: VmHWM from /proc/<pid>/status.
- Sluice runs as \`node dist/src/cli/main.js serve --host 127.0.0.1 --http-port 0 --syslog-port 0
  --data-dir <tmp>\` with a random \`SLUICE_API_KEY\` (\`SLUICE_BENCH_CLI\` points at another build).

${table}

${ratioLines.map((l) => `**${l}**`).join('\n\n')}

Input-only rows have no drain: "done" is stated in each row's note.

<details><summary>rsyslog configuration used</summary>

\`\`\`
${relayConfig('<tmp>', 0, 0).replace(/port="0"/g, 'port="<port>"')}\`\`\`
</details>
`,
  );
  log('\nwrote docs/benchmarks.md (section peers)');
}
