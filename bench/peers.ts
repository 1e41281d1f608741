// `npm run bench:peers`: the same 200-byte-line TCP relay workload through rsyslog and Sluice in one run, with the ratio.

import { parseArgs } from 'node:util';
import { rsyslogRelay, sluiceInputOnly, sluicePipeline } from './lib/scenarios.js';
import { resultsTable, linesPerSec, sectionHead, writeSection, invokedAs, formatNumber, type RunResult } from './lib/report.js';
import { relayConfig } from './lib/rsyslog.js';
import { LINE_BYTES } from './lib/loadgen.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    'no-doc': { type: 'boolean', default: false },
  },
});
const lines = Number(values.lines);
if (!Number.isInteger(lines) || lines < 1000 || lines > 20_000_000) throw new Error('--lines must be an integer from 1000 to 20000000');

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

const rsyslog = await step('rsyslog TCP → TCP', () => rsyslogRelay(lines));
const sluice = await step('Sluice TCP → TCP', () =>
  sluicePipeline({ name: 'Sluice syslog TCP → 1 app → syslog TCP drain', lines, input: 'syslog-tcp', drain: 'syslog' }),
);
await step('Sluice input only (syslog TCP)', () => sluiceInputOnly('syslog-tcp', lines));
await step('Sluice input only (HTTP POST /logs)', () => sluiceInputOnly('http', lines));

const ratio = !rsyslog.unavailable && !sluice.unavailable ? linesPerSec(sluice) / linesPerSec(rsyslog) : NaN;
const ratioLine = Number.isNaN(ratio)
  ? `Sluice/rsyslog (TCP → TCP): not available — ${sluice.unavailable ?? rsyslog.unavailable ?? ''}`
  : `Sluice/rsyslog (TCP → TCP): ${ratio.toFixed(2)}× the lines/s, at ${formatNumber(sluice.cpuPct)}% vs ${formatNumber(rsyslog.cpuPct)}% CPU`;

const table = resultsTable(results);
log('\n' + table + '\n\n' + ratioLine);

if (!values['no-doc']) {
  writeSection(
    'peers',
    `${sectionHead('Peers: rsyslog and Sluice, one run', invokedAs('peers.js'))}
Workload: ${lines.toLocaleString('en-US')} octet-counted RFC 5424 lines, each message ${LINE_BYTES} bytes
(${LINE_BYTES + 4} on the wire with its length prefix), one TCP connection from a load generator
to the process under test, which forwards them octet-counted over TCP to a counting sink; the
generator and the sink share the bench process (its CPU is the "bench CPU%" column), all on
127.0.0.1. ${'10,000'} warm-up lines go first. Lines/s = lines ÷ (first write → last line at
the sink). CPU% = utime+stime deltas of the process under test from /proc/<pid>/stat over that
window (100% = one core). Peak RSS = VmHWM.

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
