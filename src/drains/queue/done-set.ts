// Which line numbers of a drain are finished (delivered or dropped and counted): what a restart
// must not send again. Lines are numbered per drain from 0; the set is "every line below `below`,
// except one block still being sent" — the only shape the queue can produce (see queue.ts).

export interface DoneSet {
  /** Every line number below this is done, except those in `hole`. */
  below: number;
  /** A block below `below` that is not done: the one in flight when later blocks were dropped. */
  hole: [number, number] | null;
}

export const NOTHING_DONE: DoneSet = { below: 0, hole: null };

export function isDone(d: DoneSet, first: number, end: number): boolean {
  if (end > d.below) return false;
  return d.hole === null || end <= d.hole[0] || first >= d.hole[1];
}

/** The union of two snapshots taken at different times (each line done in either is done). */
export function unionDone(a: DoneSet, b: DoneSet): DoneSet {
  const [hi, lo] = a.below >= b.below ? [a, b] : [b, a];
  if (hi.hole === null) return hi;
  // hi's hole is done if lo says so.
  if (isDone(lo, hi.hole[0], hi.hole[1])) return { below: hi.below, hole: null };
  return hi;
}

/** How many line numbers in [a, b) are not done. */
export function undoneIn(d: DoneSet, a: number, b: number): number {
  if (b <= a) return 0;
  const overlap = (x0: number, x1: number): number => Math.max(0, Math.min(b, x1) - Math.max(a, x0));
  const done = overlap(0, d.below) - (d.hole ? overlap(d.hole[0], Math.min(d.hole[1], d.below)) : 0);
  return b - a - done;
}
