// Results, tables and docs/benchmarks.md: each script rewrites only its own marked section.

import os from 'node:os';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: compiled files live in dist/bench/lib/, three levels down. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const docPath = resolve(repoRoot, 'docs/benchmarks.md');

/** One end-to-end run. Absent figures print as "–"; `unavailable` says why a run could not be made. */
export interface RunResult {
  name: string;
  lines?: number;
  /** Bytes counted for MB/s: the octet-counted frames as sent. */
  bytes?: number;
  elapsedMs?: number;
  cpuPct?: number;
  peakRssMb?: number;
  /** CPU% of the bench process itself (generator + sink), to show it was not the bottleneck. */
  benchCpuPct?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Lines that did not arrive, or requests rejected. */
  lost?: number;
  note?: string;
  unavailable?: string;
  /** From the first write to the last write flushed or answered (the rate the sender offered). */
  sendMs?: number;
  /** A paced search's answer row: the highest rate delivered without loss (lines/s). */
  bestRate?: number;
}

export function linesPerSec(r: RunResult): number {
  return r.lines !== undefined && r.elapsedMs ? (r.lines / r.elapsedMs) * 1000 : NaN;
}

export function mbPerSec(r: RunResult): number {
  return r.bytes !== undefined && r.elapsedMs ? (r.bytes / 1e6 / r.elapsedMs) * 1000 : NaN;
}

export function machine(): Record<string, string> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: String(cpus.length),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString(),
    // Other work on the box skews absolute figures; ratios within one run hold up better.
    load: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

/** Taken when the script starts (this module is imported first thing), before our own load. */
const atStart = machine();

export function machineLine(): string {
  const m = atStart;
  return `${m.cpu}, ${m.cores} cores, ${m.memory}, ${m.os}, Node ${m.node}, ${m.date}, load average at start ${m.load}`;
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A Markdown table of runs; the same text is printed to the terminal. */
export function resultsTable(results: RunResult[]): string {
  const head = '| run | lines | lines/s | MB/s | CPU% | peak RSS MiB | bench CPU% | p50 ms | p99 ms | lost | note |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';
  const rows = results.map((r) =>
    r.unavailable
      ? `| ${r.name} | – | – | – | – | – | – | – | – | – | not available: ${r.unavailable} |`
      : `| ${r.name} | ${fmt(r.lines)} | ${fmt(linesPerSec(r))} | ${fmt(mbPerSec(r), 1)} | ${fmt(r.cpuPct)} | ${fmt(r.peakRssMb, 1)} | ${fmt(r.benchCpuPct)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.lost)} | ${r.note ?? ''} |`,
  );
  return [head, rule, ...rows].join('\n');
}

export { fmt as formatNumber };

const PREAMBLE = `# Benchmarks

Every figure here is written by a script in \`bench/\`; re-run it rather than editing by hand.
Each script replaces only its own section (between \`<!-- bench:NAME -->\` markers), so sections
from different scripts and runs can sit side by side; compare figures within one section, which
come from one run on one machine.
`;

/** How to re-run everything; kept as its own section so every script can refresh it. */
const ABOUT = `## How these figures are made

| command | what it runs | flags |
|---|---|---|
| \`npm run bench:peers\` | builds, then \`node dist/bench/peers.js\`: the TCP → TCP relay through rsyslog, and workload 1 through Sluice with syslog TCP and with POST /logs input, alternating, and the ratios; paced searches for runs that lose lines; Sluice input-only runs | \`--lines N\` (1,000,000), \`--rounds N\` (3), \`--no-doc\` |
| \`npm run bench\` | builds, then \`node dist/bench/run.js\`: every \`bench/micro/*.bench.ts\`, a 30 s probe of the machine's own pauses, then the end-to-end runs (input only, HTTP → syslog drain, syslog → syslog drain, syslog → HTTP drain at default and tuned buffer, fan-out to 6, each with a paced search when it loses lines flat out; many apps, tail latency, memory, overload with 1,000 drains down), then the pause probe again | \`--lines N\` (1,000,000), \`--apps N\` (10,000), \`--only micro\\|e2e\\|pauses\`, \`--filter TEXT\` (micro names and e2e labels; use with \`--no-doc\`), \`--no-doc\` |

- The peer needs \`apt-get install -y rsyslog\`; the bench starts its own \`rsyslogd -n -f <tmp>/rsyslog.conf\`
  on a free 127.0.0.1 port and stops it by PID (never the system service).
- Lines: \`<LEN> <190>1 2026-01-01T00:00:00.000000+00:00 bench <token> web.1 - - seq=<10 digits> t=<µs since epoch> xxx…\`,
  the message padded to exactly 200 bytes; \`seq\` and \`t\` let sinks check order and measure latency.
- \`SLUICE_BENCH_CLI=/path/to/main.js\` benchmarks another build of Sluice;
  \`SLUICE_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"\` starts every Sluice under test
  with those node flags (one profile per thread: the main thread's is the largest).
- \`SLUICE_BENCH_CHILD_LOG=/tmp/out.log\` appends the whole output of every process the bench starts to
  that file (with \`SLUICE_BENCH_NODE_FLAGS=--trace-gc\`: each collection of each Sluice under test).
- The machine is shared: each section records the load average when it started, and figures
  should be compared within one section (ideally as the ratios printed there), not across runs.
`;

/**
 * Replaces the block between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in
 * docs/benchmarks.md (appending it when absent), leaving every other section as it was.
 */
export function writeSection(name: string, body: string, path: string = docPath): void {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${body.trimEnd()}\n${close}`;
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : PREAMBLE;
  const aboutOpen = '<!-- bench:about -->';
  const aboutBlock = `${aboutOpen}\n${ABOUT.trimEnd()}\n<!-- /bench:about -->`;
  const a0 = markerAt(doc, aboutOpen);
  const a1 = markerAt(doc, '<!-- /bench:about -->');
  if (a0 >= 0 && a1 > a0) doc = doc.slice(0, a0) + aboutBlock + doc.slice(a1 + '<!-- /bench:about -->'.length);
  else {
    // First section written: put "how" above every figure.
    const first = doc.search(/^<!-- bench:/m);
    doc = first >= 0 ? `${doc.slice(0, first)}${aboutBlock}\n\n${doc.slice(first)}` : `${doc.trimEnd()}\n\n${aboutBlock}\n`;
  }
  const a = markerAt(doc, open);
  const b = markerAt(doc, close);
  if (a >= 0 && b > a) doc = doc.slice(0, a) + block + doc.slice(b + close.length);
  else doc = `${doc.trimEnd()}\n\n${block}\n`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, doc.endsWith('\n') ? doc : doc + '\n');
}

/** Where a marker starts a line (prose may quote markers mid-line); -1 when absent. */
function markerAt(doc: string, marker: string): number {
  if (doc.startsWith(marker)) return 0;
  const i = doc.indexOf(`\n${marker}`);
  return i < 0 ? -1 : i + 1;
}

/** The common head of a section: title, machine, date and the exact command that produced it. */
export function sectionHead(title: string, command: string): string {
  return `## ${title}\n\n- machine: ${machineLine()}\n- command: \`${command}\`\n`;
}

/** The command line as the user typed it, for the docs (`npm run …` when run through npm). */
export function invokedAs(script: string): string {
  // Quoted where the shell would split or expand them, so the command can be pasted back.
  const args = process.argv
    .slice(2)
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
  const npm = process.env.npm_lifecycle_event;
  if (npm) return `npm run ${npm}${args ? ` -- ${args}` : ''}`;
  return `node dist/bench/${script}${args ? ` ${args}` : ''}`;
}
