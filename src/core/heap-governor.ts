// Keeps the V8 heap near what is live: past a soft limit, one full collection, at most every few seconds.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Why: V8 sizes the old generation from its own heap limit (~4 GB on a large machine) and lets
 * garbage pile up to several times the live heap before it collects. Under overload Sluice's
 * live heap stays near 100 MB (history rings within their budget, drain queues on disk), but
 * lines that lived long enough to be promoted (history text waiting to be written) die in old
 * space, and the heap grew to 350 MB — most of the 510 MiB peak RSS with 1,000 drains down (364 MiB with a
 * 160 MiB soft limit, 348 with 112). A
 * process cannot lower its own heap limit once started (`--max-old-space-size` is read when the
 * isolate is made), so past `softBytes` of used heap this asks for one full collection, after
 * which V8 sizes the next limit from what is really live.
 */
export interface HeapGovernorOptions {
  /** Used heap (bytes) above which a collection is asked for; 0 turns the governor off. */
  softBytes: number;
  /** How often the heap is looked at. */
  everyMs?: number;
  /** Least time between two collections it asks for (a full collection pauses the thread);
   *  longer after a slow one, so that they take at most 1/20 of the time. */
  minGapMs?: number;
  onCollect?: (usedBefore: number, usedAfter: number, ms: number) => void;
}

export const DEFAULT_HEAP_SOFT_BYTES = 128 << 20;

let gcFn: (() => void) | undefined;

/** `gc()` without starting node with --expose-gc: the flag is honoured for new contexts. */
function collector(): () => void {
  if (gcFn) return gcFn;
  v8.setFlagsFromString('--expose-gc');
  gcFn = runInNewContext('gc') as () => void;
  return gcFn;
}

/** Starts watching; returns a stop function. */
export function startHeapGovernor(o: HeapGovernorOptions): () => void {
  if (!(o.softBytes > 0)) return () => {};
  const gc = collector();
  let last = 0;
  let gap = o.minGapMs ?? 3_000;
  const timer = setInterval(() => {
    const used = v8.getHeapStatistics().used_heap_size;
    const now = Date.now();
    if (used < o.softBytes || now - last < gap) return;
    last = now;
    const t0 = performance.now();
    gc();
    const ms = performance.now() - t0;
    // A heap that is mostly live (10,000 apps' drains and rings: 400 MB) stays past the soft
    // limit, and each collection of it stops the thread for hundreds of ms: at most 1/20 of the
    // time goes to these collections (with the minimum gap for the cheap ones).
    gap = Math.max(o.minGapMs ?? 3_000, 20 * ms);
    o.onCollect?.(used, v8.getHeapStatistics().used_heap_size, ms);
  }, o.everyMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
