// Child processes under test: start, wait for a ready line, stop by PID, and read CPU/RSS from /proc.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

let ticksPerSecond = 0;

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on every Linux we run, but ask). */
export function clockTicks(): number {
  if (ticksPerSecond === 0) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime+stime of the whole process (all threads), in clock ticks; NaN if it has gone. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of proc(5)
  } catch {
    return NaN;
  }
}

/** Current and peak resident set in MiB (VmRSS, VmHWM); NaN if the process has gone. */
export function memory(pid: number): { rssMb: number; peakMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: NaN, peakMb: NaN };
  }
}

/**
 * CPU% of one process over an interval: 100% is one core fully busy. It samples every 20 ms
 * so a run can end its window at an instant already past (the last line's arrival) rather
 * than when the bench noticed, which may be seconds later behind a lossy hop.
 */
export class CpuMeter {
  private samples: { t: number; ticks: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pid: number) {}

  start(): this {
    this.samples = [{ t: performance.now(), ticks: cpuTicks(this.pid) }];
    this.timer = setInterval(() => this.samples.push({ t: performance.now(), ticks: cpuTicks(this.pid) }), 20);
    return this;
  }

  /** CPU% from start() to `until` (performance.now() units; default now), to within one sample. */
  stop(until: number = performance.now()): { cpuPct: number; wallMs: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.samples.push({ t: performance.now(), ticks: cpuTicks(this.pid) });
    const first = this.samples[0];
    let end = this.samples[this.samples.length - 1];
    for (const s of this.samples) if (s.t >= until) {
      end = s;
      break;
    }
    const wallMs = end.t - first.t;
    return { cpuPct: (((end.ticks - first.ticks) / clockTicks()) * 1000 * 100) / wallMs, wallMs };
  }
}

/**
 * The bench process itself (load generator + sinks), from process.cpuUsage: tells whether we
 * were the bottleneck. Sampled like CpuMeter so its window can end at the last arrival too.
 */
export class SelfCpuMeter {
  private samples: { t: number; us: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  private sample(): void {
    const u = process.cpuUsage();
    this.samples.push({ t: performance.now(), us: u.user + u.system });
  }

  start(): this {
    this.samples = [];
    this.sample();
    this.timer = setInterval(() => this.sample(), 20);
    return this;
  }

  stop(until: number = performance.now()): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const first = this.samples[0];
    const end = this.samples.find((s) => s.t >= until) ?? this.samples[this.samples.length - 1];
    return ((end.us - first.us) / 1000 / (end.t - first.t)) * 100;
  }
}

export interface Service {
  child: ChildProcess;
  pid: number;
  /** The ready line's regex match (empty when no ready line was asked for). */
  ready: RegExpExecArray | string[];
  /** Everything the process printed so far (bounded), for error reports. */
  output: () => string;
  stop: () => Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Matched against stdout+stderr; resolves with the first match. Absent: resolves once spawned. */
  ready?: RegExp;
  timeoutMs?: number;
}

let childLogStream: WriteStream | undefined;

/**
 * SLUICE_BENCH_CHILD_LOG=<file>: every child's whole output appended there (e.g. with --trace-gc),
 * through one stream opened once, so that it neither reopens the file per chunk nor blocks the
 * bench's own generator and sinks while they measure.
 */
function childLog(): WriteStream | undefined {
  const file = process.env.SLUICE_BENCH_CHILD_LOG;
  if (!file) return undefined;
  childLogStream ??= createWriteStream(file, { flags: 'a' });
  return childLogStream;
}

/**
 * Spawns `cmd args` (no shell, so the PID is the program's own) and waits for a line matching
 * `ready`. Rejects with the process's output if it exits or stays silent past the timeout.
 */
export function startService(cmd: string, args: string[], opts: StartOptions): Promise<Service> {
  const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const tee = childLog();
  const keep = (chunk: Buffer): void => {
    tee?.write(chunk);
    out = (out + chunk.toString('utf8')).slice(-20_000);
  };
  const stop = (): Promise<void> => stopProcess(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${cmd} not ready after ${opts.timeoutMs ?? 10_000} ms; output:\n${out}`));
    }, opts.timeoutMs ?? 10_000);
    const check = (chunk: Buffer): void => {
      keep(chunk);
      const m = opts.ready ? opts.ready.exec(out) : [];
      if (m && child.pid !== undefined) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        // Keep draining the pipes so a chatty child never blocks on a full pipe.
        child.stdout?.on('data', keep);
        child.stderr?.on('data', keep);
        resolve({ child, pid: child.pid, ready: m, output: () => out, stop });
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    if (!opts.ready) child.once('spawn', () => check(Buffer.alloc(0)));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code ?? signal}) before ready; output:\n${out}`));
    });
  });
}

/** SIGTERM by PID, SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // It may have died already with its exit not yet seen: ESRCH then just means "done".
  const signal = (sig: NodeJS.Signals): boolean => {
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false;
    }
  };
  if (!signal('SIGTERM')) {
    await Promise.race([exited, new Promise((r) => setTimeout(r, 500))]);
    return;
  }
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) signal('SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** A port that was free a moment ago (for programs that cannot be told to use port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until a TCP connect to host:port succeeds (bounded), for listeners with no ready line. */
export async function waitForPort(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
}
