// Micro-benchmark runner: warm-up, calibrated iterations, five timed rounds, median ops/s.

import { performance } from 'node:perf_hooks';

export interface MicroBench {
  /** `module: function (input)`, as printed in docs/benchmarks.md. */
  name: string;
  /** Units of work one call does (e.g. lines in a parsed chunk), so ops/s is per line. */
  opsPerCall?: number;
  /** Bytes one call processes, for MB/s; omit when meaningless. */
  bytesPerCall?: number;
  fn: () => unknown;
}

export interface MicroResult {
  name: string;
  opsPerSec: number;
  mbPerSec: number;
  /** ops/s of each round, to show the spread behind the median. */
  rounds: number[];
  callsPerRound: number;
}

/**
 * Results go into this sink so the JIT cannot prove a call's result unused and drop the call.
 * Reading it at the end (see `blackhole`) keeps the writes observable.
 */
let sinkValue: unknown = null;
export const blackhole = (): unknown => sinkValue;

export interface MicroOptions {
  warmupMs?: number;
  roundMs?: number;
  rounds?: number;
}

export function runMicro(b: MicroBench, opts: MicroOptions = {}): MicroResult {
  const warmupMs = opts.warmupMs ?? 300;
  const roundMs = opts.roundMs ?? 200;
  const rounds = opts.rounds ?? 5;
  // Warm-up also calibrates: count calls that fit in the warm-up window.
  let calls = 0;
  const w0 = performance.now();
  while (performance.now() - w0 < warmupMs) {
    for (let i = 0; i < 16; i++) sinkValue = b.fn();
    calls += 16;
  }
  const callsPerRound = Math.max(1, Math.round((calls * roundMs) / (performance.now() - w0)));
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < callsPerRound; i++) sinkValue = b.fn();
    const secs = (performance.now() - t0) / 1000;
    perRound.push((callsPerRound * (b.opsPerCall ?? 1)) / secs);
  }
  const sorted = [...perRound].sort((x, y) => x - y);
  const opsPerSec = sorted[Math.floor(sorted.length / 2)];
  const mbPerSec = b.bytesPerCall ? (opsPerSec / (b.opsPerCall ?? 1)) * b.bytesPerCall / 1e6 : NaN;
  return { name: b.name, opsPerSec, mbPerSec, rounds: perRound, callsPerRound };
}
