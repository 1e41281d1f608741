// `npm run bench:peers`: the same 200-byte-line TCP relay workload through rsyslog and Sluice in one run, with the ratio.

import { parseArgs } from 'node:util';
import { rsyslogRelay, sluiceInputOnly, sluicePipeline } from './lib/scenarios.js';
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

// Alternate the two, round after round: on a shared box, load comes and goes, and a ratio taken
// from neighbouring runs (then the median over rounds) is steadier than one run of each.
const pairs: { rsyslog: RunResult; sluice: RunResult }[] = [];
for (let i = 1; i <= rounds; i++) {
  const r = await step(`round ${i}/${rounds}: rsyslog TCP → TCP`, () => rsyslogRelay(lines));
  const s = await step(`round ${i}/${rounds}: Sluice TCP → TCP`, () =>
    sluicePipeline({ name: 'Sluice syslog TCP → 1 app → syslog TCP drain', lines, input: 'syslog-tcp', drain: 'syslog' }),
  );
  pairs.push({ rsyslog: r, sluice: s });
  if (s.unavailable && i === 1 && rounds > 1) log('  (Sluice cannot run this workload: remaining rounds measure rsyslog only)');
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
const sluice = median(pairs.map((p) => p.sluice));
results.push(rsyslog, sluice);
const ratios = pairs.filter((p) => !p.rsyslog.unavailable && !p.sluice.unavailable).map((p) => linesPerSec(p.sluice) / linesPerSec(p.rsyslog));
await step('Sluice input only (syslog TCP)', () => sluiceInputOnly('syslog-tcp', lines));
await step('Sluice input only (HTTP POST /logs)', () => sluiceInputOnly('http', lines));

const ratio = ratios.length ? [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)] : NaN;
const ratioLine = Number.isNaN(ratio)
  ? `Sluice/rsyslog (TCP → TCP): not available — ${sluice.unavailable ?? rsyslog.unavailable ?? ''}`
  : `Sluice/rsyslog (TCP → TCP): ${ratio.toFixed(2)}× the lines/s (median of per-round ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}), at ${formatNumber(sluice.cpuPct)}% vs ${formatNumber(rsyslog.cpuPct)}% CPU` +
    (sluice.lost ? `; Sluice delivered ${formatNumber(sluice.lines)} of ${formatNumber(lines)} lines (its drain buffer dropped the rest)` : '');

const table = resultsTable(results);
log('\n' + table + '\n\n' + ratioLine);

if (!values['no-doc']) {
  writeSection(
    'peers',
    `${sectionHead('Peers: rsyslog and Sluice, one run', invokedAs('peers.js'))}
Workload: ${lines.toLocaleString('en-US')} octet-counted RFC 5424 lines, each message ${LINE_BYTES} bytes
(${LINE_BYTES + 4} on the wire with its length prefix), sent over one TCP connection by the
bench's load generator to the process under test, which forwards them octet-counted over TCP to
a counting sink. Generator and sink share the bench process ("bench CPU%"); all on 127.0.0.1.
10,000 warm-up lines go first. rsyslog and Sluice run alternately for ${rounds} round(s); each row
is the median round, and the ratio is the median of the per-round ratios.

- lines/s: lines that reached the sink ÷ (first write → last arrival). Where a hop drops lines
  (Sluice's drain buffer is bounded, drop-oldest), the run ends once the sink has seen nothing
  new for 2 s, and "lost" counts the lines that never came.
- CPU%: utime+stime of the process under test, all threads, from /proc/<pid>/stat over the same
  window (100% = one core). Peak RSS: VmHWM from /proc/<pid>/status.
- Sluice runs as \`node dist/src/cli/main.js serve --host 127.0.0.1 --http-port 0 --syslog-port 0
  --data-dir <tmp>\` with a random \`SLUICE_API_KEY\` (\`SLUICE_BENCH_CLI\` points at another build).

${table}

**${ratioLine}**

Input-only rows have no drain: "done" is stated in each row's note.

<details><summary>rsyslog configuration used</summary>

\`\`\`
${relayConfig('<tmp>', 0, 0).replace(/port="0"/g, 'port="<port>"')}\`\`\`
</details>
`,
  );
  log('\nwrote docs/benchmarks.md (section peers)');
}
