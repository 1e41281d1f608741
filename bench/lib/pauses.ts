// The machine's own pauses: one thread per CPU spins on performance.now() and records every gap, to show how long a process can stop with nothing of its own running.
//
// Why: a drain buffer of B lines at R lines/s absorbs a stall of B/R seconds anywhere on the path
// (Sluice, its receiver). On a virtual machine the host can pause a vCPU; the guest sees neither
// the pause (its scheduler still counts the thread as running) nor steal time (Firecracker
// reports none), so this probe is the only way to know the floor a loss-free rate stands on.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** What one spinning thread saw. */
export interface PauseSample {
  wallMs: number;
  /** Time this thread was on a CPU by the guest kernel's own account (/proc/thread-self/schedstat). */
  runningMs: number;
  /** Time it waited for a CPU in the guest's run queue. */
  waitingMs: number;
  /** Every gap over GAP_MS between two consecutive clock reads, in ms. */
  gaps: number[];
}

export interface PauseReport {
  threads: number;
  seconds: number;
  /** Gaps over 2, 10 and 20 ms, summed over the threads, per minute of one thread's spinning. */
  perMinute: { over2: number; over10: number; over20: number };
  /** The longest gaps seen, longest first (ms). */
  longest: number[];
  /** Share of wall time the threads were running by the guest's account (0–1). */
  runningShare: number;
  /** Share of those gaps' total that the guest kernel attributes to waiting for a CPU (0–1). */
  waitingShareOfGaps: number;
  /** Steal ticks reported in /proc/stat over the probe (0 when the hypervisor reports none). */
  stealTicks: number;
}

const GAP_MS = 2;

function schedstat(): [number, number] {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(' ').map(Number);
    return [run / 1e6, wait / 1e6];
  } catch {
    return [NaN, NaN];
  }
}

function stealTicks(): number {
  try {
    // cpu user nice system idle iowait irq softirq steal …: the aggregate line's 8th value.
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    return Number(first[8] ?? 0);
  } catch {
    return NaN;
  }
}

function spin(seconds: number): PauseSample {
  const gaps: number[] = [];
  const [run0, wait0] = schedstat();
  const start = performance.now();
  const end = start + seconds * 1000;
  let t = start;
  while (t < end) {
    const now = performance.now();
    if (now - t > GAP_MS) gaps.push(now - t);
    t = now;
  }
  const [run1, wait1] = schedstat();
  return { wallMs: t - start, runningMs: run1 - run0, waitingMs: wait1 - wait0, gaps };
}

/** Spins `threads` threads (default: one per CPU) for `seconds` and summarises their gaps. */
export async function probePauses(seconds: number, threads = availableParallelism()): Promise<PauseReport> {
  const steal0 = stealTicks();
  const samples = await Promise.all(
    Array.from({ length: threads }, () => {
      const w = new Worker(fileURLToPath(import.meta.url), { workerData: { seconds } });
      return new Promise<PauseSample>((resolve, reject) => {
        w.once('message', (m: PauseSample) => resolve(m));
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`pause probe thread exited with ${code} before reporting`)));
      });
    }),
  );
  const gaps = samples.flatMap((s) => s.gaps).sort((a, b) => b - a);
  const minutes = samples.reduce((a, s) => a + s.wallMs, 0) / 60_000;
  const per = (ms: number): number => gaps.filter((g) => g > ms).length / minutes;
  const gapTotal = gaps.reduce((a, g) => a + g, 0);
  const waiting = samples.reduce((a, s) => a + s.waitingMs, 0);
  return {
    threads,
    seconds,
    perMinute: { over2: per(2), over10: per(10), over20: per(20) },
    longest: gaps.slice(0, 5),
    runningShare: samples.reduce((a, s) => a + s.runningMs, 0) / samples.reduce((a, s) => a + s.wallMs, 0),
    waitingShareOfGaps: gapTotal > 0 ? Math.min(1, waiting / gapTotal) : 0,
    stealTicks: stealTicks() - steal0,
  };
}

if (!isMainThread && parentPort && (workerData as { seconds?: unknown } | null)?.seconds !== undefined) {
  parentPort.postMessage(spin(Number((workerData as { seconds: number }).seconds)));
}
