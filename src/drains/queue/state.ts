// A drain's small state: counters that survive restarts, the next line number, what is done, and
// the loss not yet reported (kept for all drains in state-book.ts). Also the reader of the file a
// drain kept it in before (`state.bin`: two fixed-size slots written in turn in place, each with a
// sequence number and a checksum, a torn or garbled slot ignored; before that `state.json`), so
// an upgrade keeps every drain's counters.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
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

const FILE = 'state.bin';
/** What earlier versions wrote (whole JSON, replaced by rename): read when there is no state.bin. */
const LEGACY_FILE = 'state.json';
/** 'SLST'. A slot: magic, CRC-32 of the rest, sequence number (f64), JSON length, JSON. */
const MAGIC = 0x54534c53;
const SLOT_BYTES = 1024;
const SLOT_HEADER = 20;

/** A state read back with the sequence number of the slot it came from. */
export interface LoadedState {
  state: QueueState;
  seq: number;
}

export function readState(dir: string): LoadedState | undefined {
  let best: LoadedState | undefined;
  let file: Buffer | undefined;
  try {
    file = readFileSync(path.join(dir, FILE));
  } catch {
    // none yet
  }
  for (let at = 0; file && at + SLOT_HEADER <= file.length; at += SLOT_BYTES) {
    const slot = file.subarray(at, Math.min(at + SLOT_BYTES, file.length));
    const got = readSlot(slot);
    if (got && (best === undefined || got.seq > best.seq)) best = got;
  }
  if (best) return best;
  try {
    const s = parseState(readFileSync(path.join(dir, LEGACY_FILE), 'utf8'));
    return s ? { state: s, seq: 0 } : undefined;
  } catch {
    return undefined; // none yet, or unreadable: the segments' own headers still say what is done
  }
}

function readSlot(slot: Buffer): LoadedState | undefined {
  if (slot.length < SLOT_BYTES || slot.readUInt32LE(0) !== MAGIC || crc32(slot.subarray(8)) !== slot.readUInt32LE(4)) return undefined;
  const seq = slot.readDoubleLE(8);
  const len = slot.readUInt32LE(16);
  if (!Number.isSafeInteger(seq) || len > SLOT_BYTES - SLOT_HEADER) return undefined;
  const state = parseState(slot.toString('utf8', SLOT_HEADER, SLOT_HEADER + len));
  return state ? { state, seq } : undefined;
}

function parseState(text: string): QueueState | undefined {
  try {
    const j = JSON.parse(text) as Partial<QueueState>;
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
    return undefined;
  }
}

export function lossToJson(l: Loss | undefined): QueueState['loss'] {
  return l ? { count: l.count, since: l.since.toISOString() } : null;
}
