// Keeps the V8 heap near what is live: past a soft limit, one full collection, at most every so often.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Why: V8 sizes the old generation from its own heap limit (~4 GB on a large machine) and lets
 * garbage pile up to several times the live heap before it collects. Under overload Sluice's
 * live heap stays near 90 MB (history rings within their budget, drain queues on disk), but
 * lines that lived long enough to be promoted (history text kept until its app is evicted) die
 * in old space at ~20–40 MB/s, and the heap grew to 350 MB — most of the 510 MiB peak RSS with
 * 1,000 drains down. A process cannot lower its own heap limit once started
 * (`--max-old-space-size` is read when the isolate is made), so once the old generation holds
 * `growth` times what the last collection left (and at least `softBytes`) this asks for one
 * full collection.
 */
export interface HeapGovernorOptions {
  /** Old-generation bytes below which no collection is asked for; 0 turns the governor off. */
  softBytes: number;
  /** Collect once the old generation holds this many times what the last collection left. */
  growth?: number;
  /** How often the heap is looked at. */
  everyMs?: number;
  /** Least time between two collections it asks for (a full collection pauses the thread);
   *  longer after a slow one, so that they take at most 1/20 of the time. */
  minGapMs?: number;
  onCollect?: (usedBefore: number, usedAfter: number, ms: number) => void;
}

export const DEFAULT_HEAP_SOFT_BYTES = 64 << 20;
export const DEFAULT_HEAP_GROWTH = 1.3;

let gcFn: (() => void) | undefined;

/** `gc()` without starting node with --expose-gc: the flag is honoured for new contexts. */
function collector(): () => void {
  if (gcFn) return gcFn;
  v8.setFlagsFromString('--expose-gc');
  gcFn = runInNewContext('gc') as () => void;
  return gcFn;
}

/** Used bytes of the heap outside the young generation (which scavenges keep small anyway). */
export function oldGenerationUsed(): number {
  let n = 0;
  for (const s of v8.getHeapSpaceStatistics()) if (!s.space_name.startsWith('new_')) n += s.space_used_size;
  return n;
}

/** Starts watching; returns a stop function. */
export function startHeapGovernor(o: HeapGovernorOptions): () => void {
  if (!(o.softBytes > 0)) return () => {};
  const gc = collector();
  const growth = o.growth ?? DEFAULT_HEAP_GROWTH;
  const minGap = o.minGapMs ?? 1_000;
  let last = 0;
  let gap = minGap;
  let live = 0;
  const timer = setInterval(() => {
    const used = oldGenerationUsed();
    const now = Date.now();
    if (used < o.softBytes || used < live * growth || now - last < gap) return;
    last = now;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    gc();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    // A heap that is mostly live (10,000 apps' drains and rings: 400 MB) takes hundreds of ms
    // to collect: at most 1/20 of the time goes to these collections. The cost is the smaller of
    // wall time (the GC's helper threads count in CPU time) and CPU time (a machine shared with
    // other busy processes stretches wall time: the next collection would come far too late).
    const ms = Math.min(wall, (c.user + c.system) / 1000);
    gap = Math.max(minGap, 20 * ms);
    live = oldGenerationUsed();
    o.onCollect?.(used, live, wall);
  }, o.everyMs ?? 250);
  timer.unref();
  return () => clearInterval(timer);
}
