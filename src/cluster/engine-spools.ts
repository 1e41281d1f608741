// A node's two engine spools (history lines, drain lines) under one byte budget, and the log of what they lose.
import path from 'node:path';
import { SpoolBudget } from '../drains/queue/budget.js';
import { EngineSpool } from './engine-spool.js';
import type { Logger } from '../telemetry/logger.js';

/** `--engine-spool-bytes` default: about 10 minutes of 10,000 lines/s of 100-byte lines, twice (history and drains). */
export const DEFAULT_ENGINE_SPOOL_BYTES = 1024 ** 3;
/** A loss is logged at most this often, with the lines lost since the last report. */
const DROP_LOG_MS = 10_000;

export interface EngineSpools {
  history: EngineSpool;
  drains: EngineSpool;
  onDrop: (appId: string | undefined, lines: number, why: string) => void;
}

/** Opens `<dataDir>/engine-spool/{history,drains}`; what a previous run left there is sent first. */
export async function openEngineSpools(dataDir: string, maxBytes: number | undefined, log: Logger): Promise<EngineSpools> {
  const dir = path.join(dataDir, 'engine-spool');
  const budget = new SpoolBudget(maxBytes ?? DEFAULT_ENGINE_SPOOL_BYTES, dir);
  const history = new EngineSpool(path.join(dir, 'history'), budget);
  const drains = new EngineSpool(path.join(dir, 'drains'), budget);
  for (const [what, s] of [['history', history], ['drain', drains]] as const) {
    const r = await s.open();
    if (r.messages > 0) log.info({ spool: what, messages: r.messages, lines: r.lines }, 'engine spool holds input of a previous run: it is sent to the engine first');
    if (r.lostLines > 0) log.warn({ spool: what, lines: r.lostLines }, 'engine spool had unreadable records (a crash mid-write): those lines are lost and counted');
  }
  let since = 0;
  let lost = 0;
  let last = '';
  const onDrop = (_appId: string | undefined, lines: number, why: string): void => {
    lost += lines;
    last = why;
    const now = Date.now();
    if (now - since < DROP_LOG_MS) return;
    log.warn({ lines: lost, why: last, maxBytes: budget.maxBytes }, 'input lines dropped on their way to the cluster engine: counted and told to their apps (L10)');
    since = now;
    lost = 0;
  };
  return { history, drains, onDrop };
}
