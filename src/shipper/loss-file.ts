// Losses a run could not report (Sluice unreachable until the end) are kept in a small file and
// reported as L12/L13 by the next run that ships to the same place as the same dyno.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LossCounters } from './queue.js';
import type { ShipTarget } from './sender.js';

/** `$SLUICE_STATE_DIR`, else `$XDG_STATE_HOME/sluice`, else `~/.local/state/sluice`. */
export function defaultStateDir(): string {
  if (process.env.SLUICE_STATE_DIR) return process.env.SLUICE_STATE_DIR;
  return join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'sluice');
}

/** One file per (Sluice, token, dyno); the name is a hash, so the token is not in it. */
export function lossFilePath(dir: string, target: ShipTarget, dyno: string): string {
  const key = createHash('sha256').update(`${target.origin}${target.path}\n${target.token}\n${dyno}`).digest('hex').slice(0, 24);
  return join(dir, `unreported-${key}.json`);
}

/** Reads and removes the file: once taken over, the losses are this run's to report. */
export function takeLosses(path: string): LossCounters | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  rmSync(path, { force: true });
  try {
    const j = JSON.parse(text) as { dropped?: unknown; droppedSince?: unknown; lost?: unknown; lostSince?: unknown };
    const n = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0);
    const d = (v: unknown): Date | undefined => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined);
    return { dropped: n(j.dropped), droppedSince: d(j.droppedSince), lost: n(j.lost), lostSince: d(j.lostSince) };
  } catch {
    return undefined;
  }
}

/** Writes the counters (atomically), or nothing when there is nothing to report. */
export function saveLosses(path: string, c: LossCounters): boolean {
  if (c.dropped <= 0 && c.lost <= 0) return false;
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(c)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return true;
}
