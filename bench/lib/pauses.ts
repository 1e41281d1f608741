// The machine's own pauses: one thread per CPU spins on performance.now() and records every gap, to show how long a process can stop with nothing of its own running.
//
// Why: a drain buffer of B lines at R lines/s absorbs a stall of B/R seconds anywhere on the path
// (Sluice, its receiver). On a virtual machine the host can pause a vCPU; the guest's scheduler
// still counts the thread as running and this hypervisor reports little or no steal time, so a
// probe like this is the only way to see the floor a loss-free rate stands on. Each gap is
// attributed with the thread's own schedstat: waiting for a CPU (guest) or not (host).

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** One gap between two clock reads, and how much of it the guest kernel says the thread spent waiting for a CPU. */
export interface Gap {
  ms: number;
  waitingMs: number;
}

/** What one spinning thread saw. */
export interface PauseSample {
  wallMs: number;
  /** Time this thread was on a CPU by the guest kernel's own account (/proc/thread-self/schedstat). */
  runningMs: number;
  gaps: Gap[];
}

/** Gaps of one kind, per minute of one thread's spinning, and the longest. */
export interface GapStats {
  over2: number;
  over10: number;
  over20: number;
  /** The longest, longest first (ms). */
  longest: number[];
}

export interface PauseReport {
  threads: number;
  seconds: number;
  /**
   * Gaps during which the guest says the thread was running (waited for under half the gap): the
   * host paused the virtual CPU. Nothing inside the machine can cause, see or avoid these.
   */
  host: GapStats;
  /** Gaps the guest accounts for as waiting for a CPU: another thread of this machine ran. */
  guest: GapStats;
  /** Share of wall time the threads were running by the guest's account (0–1). */
  runningShare: number;
  /** Steal ticks reported in /proc/stat over the probe (0 when the hypervisor reports none). */
  stealTicks: number;
}

const GAP_MS = 2;
/** How often the spinning thread reads its own schedstat, so that each gap can be attributed. */
const SCHEDSTAT_EVERY_MS = 1;

/** [running ms, waiting ms] of the calling thread; NaN where /proc is not available. */
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
  const gaps: Gap[] = [];
  const [run0] = schedstat();
  let [, waitAt] = schedstat();
  const start = performance.now();
  const end = start + seconds * 1000;
  let t = start;
  let readAt = start;
  while (t < end) {
    const now = performance.now();
    if (now - t > GAP_MS || now - readAt >= SCHEDSTAT_EVERY_MS) {
      // The last read was at most SCHEDSTAT_EVERY_MS before the gap began, so the waiting time
      // since then covers the gap (and at most that much more).
      const [, wait] = schedstat();
      if (now - t > GAP_MS) gaps.push({ ms: now - t, waitingMs: wait - waitAt });
      waitAt = wait;
      readAt = performance.now();
      t = readAt;
      continue;
    }
    t = now;
  }
  const [run1] = schedstat();
  return { wallMs: t - start, runningMs: run1 - run0, gaps };
}

function stats(gaps: number[], minutes: number): GapStats {
  const sorted = [...gaps].sort((a, b) => b - a);
  const per = (ms: number): number => sorted.filter((g) => g > ms).length / minutes;
  return { over2: per(2), over10: per(10), over20: per(20), longest: sorted.slice(0, 5) };
}

/** Spins `threads` threads (default: one per CPU) for `seconds` and sorts their gaps into host pauses and guest preemption. */
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
  const gaps = samples.flatMap((s) => s.gaps);
  const minutes = samples.reduce((a, s) => a + s.wallMs, 0) / 60_000;
  const isHost = (g: Gap): boolean => !(g.waitingMs >= g.ms / 2); // NaN (no /proc) counts as host
  return {
    threads,
    seconds,
    host: stats(gaps.filter(isHost).map((g) => g.ms), minutes),
    guest: stats(gaps.filter((g) => !isHost(g)).map((g) => g.ms), minutes),
    runningShare: samples.reduce((a, s) => a + s.runningMs, 0) / samples.reduce((a, s) => a + s.wallMs, 0),
    stealTicks: stealTicks() - steal0,
  };
}

if (!isMainThread && parentPort && (workerData as { seconds?: unknown } | null)?.seconds !== undefined) {
  parentPort.postMessage(spin(Number((workerData as { seconds: number }).seconds)));
}
