// End-to-end runs: each starts its process under test, drives it over loopback and returns a RunResult.

import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { LineFactory, nowMicros, sendHttp, sendTcp, type SendResult } from './loadgen.js';
import { HttpSink, TcpSink, type WaitResult } from './sinks.js';
import { ChildSink } from './child-sink.js';
import { CpuMeter, SelfCpuMeter, freePort, memory } from './proc.js';
import { startRelay, rsyslogVersion } from './rsyslog.js';
import { addDrain, createApp, failure, linesCounter, metricSum, startSluice, waitForCounter, waitForLastLine, type SluiceNode } from './sluice.js';
import type { RunResult } from './report.js';

/** Lines sent (and waited for) before measuring, so JITs, queues and connections are warm. */
const WARMUP_LINES = 10_000;
/** Every wait is bounded: a stalled process under test fails the run, never hangs it. */
const deadlineFor = (lines: number): number => 30_000 + lines / 5; // ≥ 5k lines/s or give up

type Measured = Omit<RunResult, 'name'>;

/** What a drive needs of a counting sink, in this process (TcpSink, HttpSink) or its own (ChildSink). */
interface DrainSink {
  readonly port: number;
  counted(): Promise<number>;
  settle(target: number, idleMs: number, timeoutMs: number): Promise<WaitResult>;
  close(): Promise<void>;
}

/** What one drive produced: when it was done (or why it failed) and, behind sinks, what arrived. */
interface Driven {
  send: SendResult;
  doneAt: number | string;
  /** Lines counted at the sink(s) per sink on average, and what each sink should have got. */
  delivered?: number;
  expected?: number;
}

/** After the sender finished, a sink that has seen nothing new for this long is taken as complete: the rest was dropped. */
const IDLE_MS = 2_000;

/**
 * The measuring frame shared by every throughput run: CPU of the process under test and of the
 * bench process over exactly the send→last-arrival window, and the process's peak RSS after.
 * Behind a lossy hop, lines = what arrived and lost = what did not.
 */
async function measure(pid: number, lines: number, drive: () => Promise<Driven>, sinkPids: number[] = []): Promise<Measured> {
  const cpu = new CpuMeter(pid).start();
  const self = new SelfCpuMeter().start();
  // Sinks in their own processes still count as the bench's CPU (generator + sinks).
  const sinkCpu = sinkPids.map((p) => new CpuMeter(p).start());
  const { send, doneAt, delivered, expected } = await drive();
  const until = typeof doneAt === 'number' ? doneAt : undefined;
  const { cpuPct } = cpu.stop(until);
  const benchCpuPct = self.stop(until) + sinkCpu.reduce((sum, m) => sum + m.stop(until).cpuPct, 0);
  if (typeof doneAt === 'string') return { unavailable: doneAt };
  const arrived = delivered ?? lines;
  const lost = (expected ?? lines) - arrived;
  return {
    lines: arrived,
    bytes: (send.bytes / send.lines) * arrived,
    elapsedMs: doneAt - send.startedAt,
    sendMs: send.endedAt - send.startedAt,
    cpuPct,
    benchCpuPct,
    peakRssMb: memory(pid).peakMb,
    lost: lost > 0 ? lost : send.rejected || undefined,
  };
}

/** Waits for every sink to get `n` more lines (from `base` counts) or go quiet; averages per sink. */
async function settleAll(sinks: DrainSink[], base: number[], n: number, send: SendResult): Promise<Driven> {
  const ws = await Promise.all(sinks.map((s, i) => s.settle(base[i] + n, IDLE_MS, deadlineFor(n))));
  const got = ws.map((w, i) => w.count - base[i]);
  const delivered = got.reduce((a, b) => a + b, 0) / sinks.length;
  if (delivered === 0) return { send, doneAt: `no line reached ${sinks.length > 1 ? 'a' : 'the'} sink within ${IDLE_MS} ms of the last write` };
  return { send, doneAt: Math.max(...ws.map((w) => w.at)), delivered, expected: n };
}

/** Sends `lines` over TCP into `port` and waits until `sink` has counted them (or goes quiet). */
async function tcpThrough(port: number, factory: LineFactory, lines: number, sink: TcpSink | HttpSink, firstSeq: number): Promise<Driven> {
  const base = sink.count;
  const send = await sendTcp({ host: '127.0.0.1', port, factory, lines, firstSeq, deadlineMs: deadlineFor(lines) });
  return settleAll([sink], [base], lines, send);
}

/** Says how much a lossy run dropped, so a fast figure bought with loss cannot pass unnoticed. */
function lossNote(m: Measured, sent: number, extra: string): string {
  const parts = extra ? [extra] : [];
  if (m.lost && !m.unavailable) parts.push(`${((m.lost / sent) * 100).toFixed(1)}% of lines did not arrive`);
  return parts.join('; ');
}

/** rsyslog imtcp → omfwd octet-counted TCP → counting sink: the peer's figure. */
export async function rsyslogRelay(lines: number): Promise<RunResult> {
  const name = 'rsyslog TCP → TCP relay';
  const version = rsyslogVersion();
  if (!version) return { name, unavailable: 'rsyslogd not installed (apt-get install -y rsyslog)' };
  const sink = await TcpSink.start();
  const relay = await startRelay(sink.port);
  try {
    // The same header as Sluice's input: a token-sized APP-NAME keeps the bytes identical.
    const factory = new LineFactory({ appName: `t.${randomUUID()}` });
    const warm = await tcpThrough(relay.inputPort, factory, WARMUP_LINES, sink, 0);
    if (typeof warm.doneAt === 'string') return { name, unavailable: `warm-up failed: ${warm.doneAt}` };
    const m = await measure(relay.service.pid, lines, () => tcpThrough(relay.inputPort, factory, lines, sink, WARMUP_LINES));
    return { name, ...m, note: lossNote(m, lines, version) };
  } finally {
    await relay.stop();
    await sink.close();
  }
}

/** A running Sluice with one app and its token, or the reason it cannot be had. */
async function sluiceWithApp(app = 'bench', serveArgs: readonly string[] = []): Promise<{ node: SluiceNode; token: string } | string> {
  const node = await startSluice(serveArgs);
  if (typeof node === 'string') return node;
  const created = await createApp(node, app);
  if (typeof created === 'string') {
    await node.stop();
    return created;
  }
  return { node, token: created.token };
}

export type InputKind = 'syslog-tcp' | 'http';
export type DrainKind = 'syslog' | 'http';

export interface PipelineOptions {
  name: string;
  lines: number;
  input: InputKind;
  drain: DrainKind;
  /** Drains on the one app (fan-out); each has its own sink. */
  drains?: number;
  /** Where the counting sinks run: 'child' = each in its own process (sink-process.ts); default 'in-process'. */
  sinks?: SinkPlacement;
  /** Further `sluice serve` flags: a tuned run (the defaults when absent). */
  serveArgs?: readonly string[];
}

export type SinkPlacement = 'in-process' | 'child';

/** Input rates tried, lowest first, by the paced searches (lines/s). */
export const PACED_RATES = [50_000, 100_000, 150_000, 200_000, 250_000, 270_000, 300_000, 350_000, 400_000, 500_000, 600_000, 700_000, 800_000];

interface Pipeline {
  node: SluiceNode;
  sinks: DrainSink[];
  /** PIDs of sinks in their own processes (none when they share the bench process). */
  sinkPids: number[];
  /** Sends `n` lines (paced at `rate` when given) and waits until every sink has them or goes quiet. */
  drive: (n: number, firstSeq: number, rate?: number) => Promise<Driven>;
  close: () => Promise<void>;
}

/** Sluice with one app and `opts.drains` drains, each to its own counting sink; a reason string when that cannot be had. */
async function pipeline(opts: PipelineOptions): Promise<Pipeline | string> {
  const setup = await sluiceWithApp('bench', opts.serveArgs);
  if (typeof setup === 'string') return setup;
  const { node, token } = setup;
  const sinks: DrainSink[] = [];
  const sinkPids: number[] = [];
  const close = async (): Promise<void> => {
    for (const s of sinks) await s.close();
    await node.stop();
  };
  try {
    for (let i = 0; i < (opts.drains ?? 1); i++) {
      const kind = opts.drain === 'syslog' ? 'tcp' : 'http';
      let sink: DrainSink;
      if (opts.sinks === 'child') {
        const child = await ChildSink.start(kind);
        sinkPids.push(child.pid);
        sink = child;
      } else sink = kind === 'tcp' ? await TcpSink.start() : await HttpSink.start();
      sinks.push(sink);
      const url = opts.drain === 'syslog' ? `syslog://127.0.0.1:${sink.port}` : `http://127.0.0.1:${sink.port}/logs`;
      const ok = await addDrain(node, 'bench', url);
      if (ok !== true) {
        await close();
        return ok;
      }
    }
  } catch (err) {
    const why = await failure(node, err);
    await close();
    return why;
  }
  const factory = new LineFactory({ appName: token });
  // Fan-out: wait until every sink has every line; lines/s counts input lines.
  const drive = async (n: number, firstSeq: number, rate?: number): Promise<Driven> => {
    const base = await Promise.all(sinks.map((s) => s.counted()));
    const deadlineMs = deadlineFor(n) + (rate ? (n / rate) * 1000 : 0);
    const send =
      opts.input === 'http'
        ? await sendHttp({ host: '127.0.0.1', port: node.httpPort, factory, lines: n, firstSeq, token, rate, deadlineMs })
        : await sendTcp({ host: '127.0.0.1', port: node.syslogPort, factory, lines: n, firstSeq, rate, deadlineMs });
    if (send.rejected > 0) return { send, doneAt: `${send.rejected} POSTs rejected, e.g. ${send.rejections[0] ?? ''}` };
    return settleAll(sinks, base, n, send);
  };
  return { node, sinks, sinkPids, drive, close };
}

/** Sluice input → one app → N drains, each drain a counting sink: scenarios 1–3 and the peer workload. */
export async function sluicePipeline(opts: PipelineOptions): Promise<RunResult> {
  const { name, lines } = opts;
  const p = await pipeline(opts);
  if (typeof p === 'string') return { name, unavailable: p };
  try {
    const warm = await p.drive(WARMUP_LINES, 0);
    if (typeof warm.doneAt === 'string') return { name, unavailable: `warm-up failed: ${warm.doneAt}` };
    const m = await measure(p.node.pid, lines, () => p.drive(lines, WARMUP_LINES), p.sinkPids);
    // Lines that went through a spool had to wait on disk: a receiver that fell behind for longer
    // than the drain's memory budget lasts (1 MiB: ~5,000 lines).
    const spooled = await metricSum(p.node, 'sluice_drain_spooled_messages_total');
    const via = spooled ? `${formatCount(spooled)} lines went through a spool` : '';
    const what = [p.sinks.length > 1 ? `${p.sinks.length} drains; lines and lost are per drain` : '', via].filter(Boolean).join('; ');
    return { name, ...m, note: lossNote(m, lines, what) };
  } catch (err) {
    return { name, unavailable: await failure(p.node, err) };
  } finally {
    await p.close();
  }
}

/**
 * The same pipeline driven at paced input rates, lowest first, `seconds` of lines each, on one
 * fresh node warmed up for a second at the first rate: the highest rate at which every line
 * reached every sink. Stops at the first rate
 * with any loss (or whose input the sender could not sustain). One row per rate tried, then the
 * answer; the flat-out row says what happens past it.
 */
export async function sluicePacedMax(opts: PipelineOptions, rates: number[], seconds: number): Promise<RunResult[]> {
  const p = await pipeline(opts);
  if (typeof p === 'string') return [{ name: `${opts.name}, paced`, unavailable: p }];
  const rows: RunResult[] = [];
  let best: number | undefined;
  try {
    // Warm up at the first rate for a second: a flat-out burst would overflow the drain buffer
    // and leave the node in the state the search is meant to stay out of.
    const warmLines = rates[0];
    const warm = await p.drive(warmLines, 0, rates[0]);
    if (typeof warm.doneAt === 'string') return [{ name: `${opts.name}, paced`, unavailable: `warm-up failed: ${warm.doneAt}` }];
    let seq = warmLines;
    for (const rate of rates) {
      const n = Math.round(rate * seconds);
      const m = await measure(p.node.pid, n, () => p.drive(n, seq, rate), p.sinkPids);
      seq += n;
      // The sender paces to the rate; if it fell more than 5% behind (Sluice's input pushing back
      // included), the rate was not really offered and does not count. Arrival is judged by loss
      // alone: how long after the last write the last line arrived is reported, not a verdict.
      const achieved = m.sendMs ? (n / m.sendMs) * 1000 : NaN;
      const offered = achieved >= rate * 0.95;
      const clean = !m.unavailable && !m.lost && offered;
      const tail = m.elapsedMs !== undefined && m.sendMs !== undefined ? `last line arrived ${Math.max(0, Math.round(m.elapsedMs - m.sendMs))} ms after the last write` : '';
      const verdict = clean ? 'no loss' : offered ? '' : `input only reached ${Math.round(achieved).toLocaleString('en-US')} lines/s`;
      rows.push({
        name: `${opts.name} @ ${rate.toLocaleString('en-US')} lines/s paced`,
        ...m,
        note: lossNote(m, n, [verdict, tail].filter(Boolean).join('; ')),
      });
      if (!clean) break;
      best = rate;
    }
  } catch (err) {
    rows.push({ name: `${opts.name}, paced`, unavailable: await failure(p.node, err) });
  } finally {
    await p.close();
  }
  rows.push({
    name: `${opts.name}: highest paced rate without loss`,
    bestRate: best,
    note:
      best !== undefined
        ? `${best.toLocaleString('en-US')} lines/s (${seconds} s at each rate; rates tried: ${rates.slice(0, rows.length).map((r) => r.toLocaleString('en-US')).join(', ')})`
        : `none of the rates tried (${rates[0].toLocaleString('en-US')} lines/s: ${rows[0]?.lost ? 'lines lost' : 'not offered or not measured'})`,
  });
  return rows;
}

/**
 * Sluice input with no drains. HTTP: done when the last POST is answered 204 (Sluice has
 * accepted every batch). Syslog TCP: done when the app's history shows the last sequence
 * number; if log sessions are not built yet, done when the last byte was handed to the
 * kernel, which the note says (it over-states throughput by up to the socket buffers).
 */
export async function sluiceInputOnly(input: InputKind, lines: number): Promise<RunResult> {
  const name = input === 'http' ? 'Sluice input only: POST /logs ×500, 4 conns' : 'Sluice input only: syslog TCP';
  const setup = await sluiceWithApp();
  if (typeof setup === 'string') return { name, unavailable: setup };
  const { node, token } = setup;
  try {
    const factory = new LineFactory({ appName: token });
    let note = '';
    const drive = async (n: number, firstSeq: number): Promise<Driven> => {
      if (input === 'http') {
        const send = await sendHttp({ host: '127.0.0.1', port: node.httpPort, factory, lines: n, firstSeq, token, deadlineMs: deadlineFor(n) });
        if (send.rejected > 0) return { send, doneAt: `${send.rejected} POSTs rejected, e.g. ${send.rejections[0] ?? ''}` };
        note = 'done = last 204';
        return { send, doneAt: send.endedAt };
      }
      const before = await linesCounter(node);
      const send = await sendTcp({ host: '127.0.0.1', port: node.syslogPort, factory, lines: n, firstSeq, deadlineMs: deadlineFor(n) });
      if (before !== null) {
        const at = await waitForCounter(node, before.metric, before.value + n, deadlineFor(n));
        note = `done = /metrics ${before.metric} +${n} (10 ms polls)`;
        return { send, doneAt: at };
      }
      const seen = await waitForLastLine(node, 'bench', firstSeq + n - 1, deadlineFor(n));
      if (typeof seen === 'number') {
        note = 'done = last seq in history (20 ms polls)';
        return { send, doneAt: seen };
      }
      note = `done = last byte written; server-side completion not confirmed (${seen})`;
      return { send, doneAt: send.endedAt };
    };
    const warm = await drive(WARMUP_LINES, 0);
    if (typeof warm.doneAt === 'string') return { name, unavailable: `warm-up failed: ${warm.doneAt}` };
    const m = await measure(node.pid, lines, () => drive(lines, WARMUP_LINES));
    return { name, ...m, note };
  } catch (err) {
    return { name, unavailable: await failure(node, err) };
  } finally {
    await node.stop();
  }
}

/** Scenario 4: many apps, one syslog drain each (all to one sink), lines spread round-robin over syslog TCP. */
export async function sluiceManyApps(apps: number, lines: number): Promise<RunResult> {
  const name = `Sluice ${apps.toLocaleString('en-US')} apps, 1 drain each`;
  const node = await startSluice();
  if (typeof node === 'string') return { name, unavailable: node };
  const sink = await TcpSink.start();
  try {
    const factories = await appsWithDrains(node, apps, 'app', () => `syslog://127.0.0.1:${sink.port}`);
    if (typeof factories === 'string') return { name, unavailable: factories };
    const perApp = Math.max(1, Math.floor(lines / apps));
    const total = perApp * apps;
    const drive = async (): Promise<Driven> => {
      const base = sink.count;
      const send = await sendInterleaved(node.syslogPort, factories, perApp);
      return settleAll([sink], [base], total, send);
    };
    const m = await measure(node.pid, total, drive);
    return { name, ...m, note: lossNote(m, total, `${perApp} lines per app; ${sink.connections} drain connections at the sink`) };
  } catch (err) {
    return { name, unavailable: await failure(node, err) };
  } finally {
    await sink.close();
    await node.stop();
  }
}

/** `n` apps `<prefix>-<i>` with one drain each, made 20 at a time; their line factories in order, or why not. */
async function appsWithDrains(node: SluiceNode, n: number, prefix: string, url: () => string): Promise<LineFactory[] | string> {
  const out: LineFactory[] = [];
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, n - i) }, async (_, k): Promise<LineFactory | string> => {
        const app = `${prefix}-${i + k}`;
        const created = await createApp(node, app);
        if (typeof created === 'string') return created;
        const ok = await addDrain(node, app, url());
        return ok === true ? new LineFactory({ appName: created.token }) : ok;
      }),
    );
    for (const f of batch) {
      if (typeof f === 'string') return f;
      out.push(f);
    }
  }
  return out;
}

/** One TCP connection carrying every app's lines, app by app in chunks of `perApp`. */
async function sendInterleaved(port: number, factories: LineFactory[], perApp: number): Promise<SendResult> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const startedAt = performance.now();
  let bytes = 0;
  for (const f of factories) {
    const chunk = f.build(0, perApp);
    bytes += chunk.length;
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
  }
  await new Promise<void>((resolve) => socket.end(() => resolve()));
  return { lines: perApp * factories.length, bytes, startedAt, endedAt: performance.now(), rejected: 0, rejections: [] };
}

/**
 * Scenario 5: input → open tail latency at increasing paced rates; reports the highest rate whose
 * p99 stays under 50 ms. Input is syslog TCP; the tail is a plain-text log session with tail on.
 */
export async function sluiceTailLatency(rates: number[], secondsPerStep: number): Promise<RunResult[]> {
  const setup = await sluiceWithApp();
  if (typeof setup === 'string') return [{ name: 'Sluice tail latency', unavailable: setup }];
  const { node, token } = setup;
  const results: RunResult[] = [];
  try {
    const s = await node.api('POST', '/apps/bench/log-sessions', { tail: true, lines: 0 });
    const url = (s.json as { logplex_url?: unknown } | null)?.logplex_url;
    if (typeof url !== 'string') return [{ name: 'Sluice tail latency', unavailable: `log sessions: ${s.status} ${s.text.slice(0, 120)}` }];
    const tail = await openTail(url);
    const factory = new LineFactory({ appName: token });
    let seq = 0;
    for (const rate of rates) {
      const n = Math.round(rate * secondsPerStep);
      tail.reset();
      const cpu = new CpuMeter(node.pid).start();
      const send = await sendTcp({ host: '127.0.0.1', port: node.syslogPort, factory, lines: n, firstSeq: seq, rate, deadlineMs: deadlineFor(n) + secondsPerStep * 2000 });
      seq += n;
      const deadline = performance.now() + 5_000;
      while (tail.count < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const [p50, p99] = tail.percentiles([50, 99]);
      results.push({
        name: `Sluice tail latency @ ${rate.toLocaleString('en-US')} lines/s`,
        lines: tail.count,
        bytes: send.bytes,
        elapsedMs: send.endedAt - send.startedAt,
        cpuPct: cpu.stop().cpuPct,
        peakRssMb: memory(node.pid).peakMb,
        p50Ms: p50,
        p99Ms: p99,
        lost: n - tail.count || undefined,
        note: p99 < 50 ? 'p99 < 50 ms' : 'p99 ≥ 50 ms',
      });
      if (!(p99 < 50)) break;
    }
    tail.close();
    const passed = results.filter((r) => (r.p99Ms ?? Infinity) < 50);
    const best = passed[passed.length - 1];
    results.push({
      name: 'Sluice tail latency: highest rate with p99 < 50 ms',
      note: best ? `${best.name.replace(/.*@ /, '')} (rates tried: ${rates.slice(0, results.length).join(', ')})` : `none of the rates tried (${rates.slice(0, results.length).join(', ')} lines/s)`,
    });
    return results;
  } catch (err) {
    return [...results, { name: 'Sluice tail latency', unavailable: await failure(node, err) }];
  } finally {
    await node.stop();
  }
}

/** A streaming reader of a tail session that records each line's latency from its `t=` stamp. */
async function openTail(url: string): Promise<{ count: number; reset: () => void; percentiles: (ps: number[]) => number[]; close: () => void }> {
  const samples: number[] = [];
  const state = { count: 0 };
  let rest = '';
  const req = http.get(url, { headers: { Accept: 'text/plain' } });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    const now = nowMicros();
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const at = line.indexOf(' t=');
      if (at < 0) continue;
      state.count++;
      samples.push((now - Number(line.slice(at + 3, at + 19))) / 1000);
    }
  });
  return {
    get count() {
      return state.count;
    },
    reset: () => {
      samples.length = 0;
      state.count = 0;
    },
    percentiles: (ps) => {
      const sorted = Float64Array.from(samples).sort();
      return ps.map((p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN));
    },
    close: () => req.destroy(),
  };
}

/**
 * Scenario 6: memory. RSS growth per idle app and per idle drain (drains to a sink that accepts
 * and never reads), then peak RSS while overloading one app whose drain never reads.
 */
export async function sluiceMemory(count: number, overloadLines: number): Promise<RunResult[]> {
  const node = await startSluice();
  if (typeof node === 'string') return [{ name: 'Sluice memory', unavailable: node }];
  // A drain endpoint that accepts connections and never reads: the drain's buffer must bound memory.
  const held = new Set<net.Socket>();
  const stalled = net.createServer((s) => {
    s.pause();
    held.add(s);
  });
  await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', () => r()));
  const stalledPort = (stalled.address() as net.AddressInfo).port;
  const results: RunResult[] = [];
  try {
    await new Promise((r) => setTimeout(r, 500));
    const base = memory(node.pid).rssMb;
    const tokens: string[] = [];
    for (let i = 0; i < count; i++) {
      const c = await createApp(node, `idle-${i}`);
      if (typeof c === 'string') return [{ name: 'Sluice memory', unavailable: c }];
      tokens.push(c.token);
    }
    const afterApps = memory(node.pid).rssMb;
    results.push({ name: `Sluice RSS per idle app (${count} apps)`, note: `${(((afterApps - base) * 1024) / count).toFixed(1)} KiB per app`, peakRssMb: afterApps });
    for (let i = 0; i < count; i++) {
      const ok = await addDrain(node, `idle-${i}`, `syslog://127.0.0.1:${stalledPort}`);
      if (ok !== true) {
        results.push({ name: 'Sluice RSS per idle drain', unavailable: ok });
        return results;
      }
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const afterDrains = memory(node.pid).rssMb;
    results.push({ name: `Sluice RSS per idle drain (${count} drains)`, note: `${(((afterDrains - afterApps) * 1024) / count).toFixed(1)} KiB per drain`, peakRssMb: afterDrains });
    const factory = new LineFactory({ appName: tokens[0] });
    const cpu = new CpuMeter(node.pid).start();
    const send = await sendTcp({ host: '127.0.0.1', port: node.syslogPort, factory, lines: overloadLines, deadlineMs: deadlineFor(overloadLines) });
    results.push({
      name: 'Sluice under overload (drain never reads)',
      lines: overloadLines,
      bytes: send.bytes,
      elapsedMs: send.endedAt - send.startedAt,
      cpuPct: cpu.stop().cpuPct,
      peakRssMb: memory(node.pid).peakMb,
      note: 'lines/s = input until the last byte was written, with the drain stalled; peak RSS must stay bounded',
    });
    return results;
  } catch (err) {
    return [...results, { name: 'Sluice memory', unavailable: await failure(node, err) }];
  } finally {
    for (const s of held) s.destroy(); // paused sockets never see EOF and would keep us alive
    stalled.close();
    await node.stop();
  }
}

/**
 * Overload: `drains` apps with one syslog drain each, all pointing at a port where nothing
 * listens (connection refused, so every drain backs off and its queue spills to the spool), then
 * `linesPerApp` lines to every app over one TCP connection — enough to fill each app's history
 * (1,500) and more than a drain's memory budget would hold as line objects. Input must keep being accepted (every line routed), the
 * loss must be counted (sluice_drain_dropped_messages_total, reported as L10), and peak RSS
 * must stay bounded.
 */
export async function sluiceOverload(drains: number, linesPerApp: number): Promise<RunResult> {
  const name = `Sluice under overload: ${drains.toLocaleString('en-US')} drains, receivers down`;
  const node = await startSluice();
  if (typeof node === 'string') return { name, unavailable: node };
  try {
    const downPort = await freePort(); // free a moment ago, and nothing of ours listens there
    const factories = await appsWithDrains(node, drains, 'down', () => `syslog://127.0.0.1:${downPort}`);
    if (typeof factories === 'string') return { name, unavailable: factories };
    const before = await linesCounter(node);
    if (before === null) return { name, unavailable: 'no lines counter in /metrics' };
    const total = linesPerApp * drains;
    const m = await measure(node.pid, total, async () => {
      const send = await sendInterleaved(node.syslogPort, factories, linesPerApp);
      const doneAt = await waitForCounter(node, before.metric, before.value + total, deadlineFor(total));
      return { send, doneAt };
    });
    const dropped = (await metricSum(node, 'sluice_drain_dropped_messages_total')) ?? NaN;
    const queued = (await metricSum(node, 'sluice_drain_queued_messages')) ?? NaN;
    const rss = memory(node.pid);
    return {
      name,
      ...m,
      note:
        `${linesPerApp.toLocaleString('en-US')} lines per app, all routed (done = /metrics ${before.metric}); drains dropped ` +
        `${formatCount(dropped)} (counted for L10), ${formatCount(queued)} queued (spooled to disk); RSS after ${rss.rssMb.toFixed(0)} MiB; target: peak RSS ≤ 300 MiB`,
    };
  } catch (err) {
    return { name, unavailable: await failure(node, err) };
  } finally {
    await node.stop();
  }
}

/**
 * An outage: one app → one drain whose receiver is out for `seconds` while lines arrive at
 * `rate` lines/s. `http`: nothing listens on the drain's port, then an HTTP receiver comes back
 * on it. `syslog`: a syslog TCP receiver accepts the connection and stops reading (the kernel's
 * buffers fill and the drain's write waits), then reads again. Every line must arrive, in order
 * (the sinks check each `seq=`); peak RSS is Sluice's over the whole run.
 */
export async function sluiceOutage(rate: number, seconds: number, receiver: 'http' | 'syslog' = 'http'): Promise<RunResult> {
  const total = Math.round(rate * seconds);
  const what = receiver === 'http' ? 'HTTP receiver down' : 'syslog TCP receiver stops reading';
  const name = `8${receiver === 'http' ? '' : 'b'}. ${what} ${seconds} s at ${rate.toLocaleString('en-US')} lines/s (${formatCount(total)} lines), then back`;
  const app = `outage-${receiver}`;
  const setup = await sluiceWithApp(app);
  if (typeof setup === 'string') return { name, unavailable: setup };
  const { node, token } = setup;
  let sink: HttpSink | TcpSink | undefined;
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, memory(node.pid).rssMb)), 1_000);
  try {
    let url: string;
    if (receiver === 'http') url = `http://127.0.0.1:${await freePort()}/logs`;
    else {
      const tcp = await TcpSink.start({ order: true });
      tcp.pause();
      sink = tcp;
      url = `syslog://127.0.0.1:${tcp.port}`;
    }
    const ok = await addDrain(node, app, url);
    if (ok !== true) return { name, unavailable: ok };
    const factory = new LineFactory({ appName: token });
    const m = await measure(node.pid, total, async () => {
      const send = await sendTcp({ host: '127.0.0.1', port: node.syslogPort, factory, lines: total, firstSeq: 0, rate, deadlineMs: deadlineFor(total) + seconds * 1000 });
      if (sink instanceof TcpSink) sink.resume();
      else sink = await HttpSink.start({ port: Number(new URL(url).port), order: true });
      // The spool is delivered at the drain's own pace after the receiver returns.
      // Done when the last seq arrived, or nothing new came for 10 s (repeats count as nothing new;
      // before the first line, 70 s: the drain may be waiting out its longest backoff, 60 s).
      const s = sink;
      const deadline = performance.now() + deadlineFor(total) * 4;
      let seen = -1;
      let seenAt = performance.now();
      while (s.order.maxSeq < total - 1 && performance.now() < deadline) {
        if (s.order.maxSeq !== seen) [seen, seenAt] = [s.order.maxSeq, performance.now()];
        else if (performance.now() - seenAt > (seen < 0 ? 70_000 : 10_000)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      return { send, doneAt: s.lastAt, delivered: s.order.distinct, expected: total };
    });
    const dropped = (await metricSum(node, 'sluice_drain_dropped_messages_total')) ?? NaN;
    const spooled = (await metricSum(node, 'sluice_drain_spooled_messages_total')) ?? NaN;
    const o = sink!.order;
    const inOrder = o.gaps === 0 && o.maxSeq === total - 1;
    return {
      name,
      ...m,
      note:
        `${formatCount(o.distinct)} of ${formatCount(total)} distinct lines arrived, ${inOrder ? 'in order' : `NOT in order (${o.gaps} gaps, highest seq ${o.maxSeq})`}` +
        `${o.repeats ? `, ${formatCount(o.repeats)} repeated (at-least-once)` : ''}; ${formatCount(spooled)} lines went through the spool; dropped ${formatCount(dropped)}; ` +
        `RSS sampled each second peaked at ${rssPeak.toFixed(0)} MiB (target < 300); lines/s counts from the first line sent to the last one delivered`,
    };
  } catch (err) {
    return { name, unavailable: await failure(node, err) };
  } finally {
    clearInterval(sampler);
    await sink?.close();
    await node.stop();
  }
}

function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?';
}
