// A drain's small state file (`state.json` in its spool directory): counters that survive
// restarts, the next line number, what is done, and the loss not yet reported. Written whole to
// a temporary file and renamed, so a crash leaves the old or the new one, never half of each.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NOTHING_DONE, type DoneSet } from './done-set.js';
import type { Loss } from './loss.js';

export interface Counters {
  delivered: number;
  dropped: number;
  /** Lines written to the spool, ever. */
  spooled: number;
  /** Lines found unreadable in the spool (torn or garbled records), ever; part of `dropped`. */
  corrupt: number;
}

export interface QueueState {
  counters: Counters;
  nextLine: number;
  done: DoneSet;
  loss: { count: number; since: string } | null;
  /** Bytes of unreadable spool content skipped, ever. */
  skippedBytes?: number;
}

export const emptyCounters = (): Counters => ({ delivered: 0, dropped: 0, spooled: 0, corrupt: 0 });

const FILE = 'state.json';

export function readState(dir: string): QueueState | undefined {
  try {
    const j = JSON.parse(readFileSync(path.join(dir, FILE), 'utf8')) as Partial<QueueState>;
    const c = { ...emptyCounters(), ...j.counters };
    const num = (x: unknown): number => (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : 0);
    const done = j.done && typeof j.done.below === 'number' ? { below: num(j.done.below), hole: Array.isArray(j.done.hole) ? ([num(j.done.hole[0]), num(j.done.hole[1])] as [number, number]) : null } : NOTHING_DONE;
    return {
      counters: { delivered: num(c.delivered), dropped: num(c.dropped), spooled: num(c.spooled), corrupt: num(c.corrupt) },
      nextLine: num(j.nextLine),
      done,
      loss: j.loss && num(j.loss.count) > 0 ? { count: num(j.loss.count), since: String(j.loss.since) } : null,
      skippedBytes: num(j.skippedBytes),
    };
  } catch {
    return undefined; // none yet, or unreadable: the segments' own headers still say what is done
  }
}

export function writeState(dir: string, s: QueueState): void {
  const tmp = path.join(dir, `${FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(s));
  renameSync(tmp, path.join(dir, FILE));
}

export function lossToJson(l: Loss | undefined): QueueState['loss'] {
  return l ? { count: l.count, since: l.since.toISOString() } : null;
}
