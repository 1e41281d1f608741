// `npm run bench:kill9`: 1M lines spooled for an HTTP drain whose receiver is down, more at a paced rate, `kill -9`, restart on the same data directory with the receiver back: every spooled line must arrive, in order; the lines the kill lost measure the --spool-sync-ms window.
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LineFactory, sendTcp } from './lib/loadgen.js';
import { freePort, memory } from './lib/proc.js';
import { formatNumber, invokedAs, sectionHead, writeSection } from './lib/report.js';
import { HttpSink } from './lib/sinks.js';
import { addDrain, createApp, metricSum, startSluice } from './lib/sluice.js';

const { values } = parseArgs({
  options: {
    spooled: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '50000' },
    'tail-seconds': { type: 'string', default: '4' },
    trials: { type: 'string', default: '3' },
    'no-doc': { type: 'boolean', default: false },
  },
});
const SPOOLED = Number(values.spooled);
const RATE = Number(values.rate);
const TAIL = Math.round(RATE * Number(values['tail-seconds']));
const TRIALS = Number(values.trials);

interface Trial {
  sent: number;
  distinct: number;
  gaps: number;
  repeats: number;
  maxSeq: number;
  /** Lines of the first phase (all spooled before the kill) that arrived. */
  spooledArrived: number;
  lost: number;
  windowMs: number;
  recoverMs: number;
  peakRssMb: number;
  error?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function trial(): Promise<Trial> {
  const first = await startSluice();
  if (typeof first === 'string') throw new Error(first);
  const { dataDir, apiKey } = first;
  const port = await freePort(); // nothing listens here until the restart
  let sink: HttpSink | undefined;
  let second: Awaited<ReturnType<typeof startSluice>> | undefined;
  try {
    const app = await createApp(first, 'kill9');
    if (typeof app === 'string') throw new Error(app);
    const ok = await addDrain(first, 'kill9', `http://127.0.0.1:${port}/logs`);
    if (ok !== true) throw new Error(ok);
    const factory = new LineFactory({ appName: app.token });
    await sendTcp({ host: '127.0.0.1', port: first.syslogPort, factory, lines: SPOOLED, firstSeq: 0, deadlineMs: 300_000 });
    // Every line of the first phase is in the spool (the counter moves when a record is written).
    const deadline = performance.now() + 120_000;
    while (((await metricSum(first, 'sluice_drain_spooled_messages_total')) ?? 0) < SPOOLED && performance.now() < deadline) await sleep(100);
    await sendTcp({ host: '127.0.0.1', port: first.syslogPort, factory, lines: TAIL, firstSeq: SPOOLED, rate: RATE, deadlineMs: 60_000 });
    const peak1 = memory(first.pid).peakMb;
    first.service.child.kill('SIGKILL');
    await new Promise<void>((r) => (first.service.child.exitCode !== null || first.service.child.signalCode !== null ? r() : first.service.child.once('exit', () => r())));
    sink = await HttpSink.start({ port, order: true });
    const t0 = performance.now();
    second = await startSluice([], { dataDir, apiKey });
    if (typeof second === 'string') throw new Error(`restart: ${second}`);
    const total = SPOOLED + TAIL;
    let seen = -1;
    let seenAt = performance.now();
    while (sink.order.maxSeq < total - 1 && performance.now() - seenAt < (seen < 0 ? 70_000 : 10_000)) {
      if (sink.order.maxSeq !== seen) [seen, seenAt] = [sink.order.maxSeq, performance.now()];
      await sleep(200);
    }
    const o = sink.order;
    const spooledArrived = Math.min(SPOOLED, o.gaps === 0 ? o.maxSeq + 1 : o.distinct);
    const lost = total - o.distinct;
    return {
      sent: total,
      distinct: o.distinct,
      gaps: o.gaps,
      repeats: o.repeats,
      maxSeq: o.maxSeq,
      spooledArrived,
      lost,
      windowMs: (lost / RATE) * 1000,
      recoverMs: sink.lastAt - t0,
      peakRssMb: Math.max(peak1, memory(second.pid).peakMb),
    };
  } finally {
    await sink?.close();
    if (second && typeof second !== 'string') await second.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const trials: Trial[] = [];
for (let i = 0; i < TRIALS; i++) {
  const t = await trial().catch((err: unknown): Trial => ({ sent: 0, distinct: 0, gaps: 0, repeats: 0, maxSeq: -1, spooledArrived: 0, lost: 0, windowMs: NaN, recoverMs: NaN, peakRssMb: NaN, error: String((err as Error).message ?? err).slice(0, 200) }));
  trials.push(t);
  console.log(JSON.stringify(t));
}
const rows = trials.map(
  (t, i) =>
    `| ${i + 1} | ${t.error ? `failed: ${t.error}` : `${formatNumber(t.spooledArrived)} of ${formatNumber(SPOOLED)}`} | ${formatNumber(t.distinct)} of ${formatNumber(t.sent)} | ${t.gaps === 0 ? 'yes' : `no (${t.gaps} gaps)`} | ${formatNumber(t.repeats)} | ${formatNumber(t.lost)} | ${formatNumber(t.windowMs, 0)} | ${formatNumber(t.recoverMs / 1000, 1)} | ${formatNumber(t.peakRssMb, 1)} |`,
);
const table = `| trial | spooled lines delivered after restart | all lines delivered | in order | repeated | lost to the kill | loss window ms (lost ÷ rate) | restart → last line s | peak RSS MiB |
|---|---:|---:|---|---:|---:|---:|---:|---:|
${rows.join('\n')}`;
console.log(table);
if (!values['no-doc']) {
  writeSection(
    'kill9',
    `${sectionHead('kill -9 with 1M lines spooled', invokedAs('kill9.js'))}
One app, one HTTP drain whose receiver is down (nothing listens on its port). ${formatNumber(SPOOLED)} lines go in over syslog TCP flat
out; once /metrics says all of them were written to the spool, ${formatNumber(TAIL)} more follow paced at ${formatNumber(RATE)} lines/s, and
Sluice is killed with SIGKILL the moment the generator's last write returns. Then an HTTP receiver that checks every
\`seq=\` starts on the drain's port and Sluice starts again on the same data directory, at default settings
(\`--spool-sync-ms 100\`). "Lost to the kill" is what never arrived: lines routed after the last spool sync, and lines
still in the kernel's socket buffers or Sluice's input when it died; divided by the input rate it is the loss window.

${table}
`,
  );
}
