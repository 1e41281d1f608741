// Micro-benchmarks of what happens to each line after parsing: routing, the rings, history, drain queues.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ring } from '../../src/core/ring.js';
import type { LogLine } from '../../src/core/log-line.js';
import { syslogEncoder } from '../../src/drains/encoder.js';
import { DrainQueue } from '../../src/drains/queue/queue.js';
import { StateBook } from '../../src/drains/queue/state-book.js';
import { emptyCounters } from '../../src/drains/queue/state.js';
import { HISTORY_LINES } from '../../src/history/contract.js';
import { SqliteHistory } from '../../src/history/sqlite-history.js';
import { Router } from '../../src/router/router.js';
import { openDatabase } from '../../src/store/sqlite-db.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { parseRfc5424 } from '../../src/wire/rfc5424.js';
import { LineFactory } from '../lib/loadgen.js';
import type { MicroBench } from './harness.js';

const TOKEN = 't.00000000-0000-4000-8000-000000000000';
const factory = new LineFactory({ appName: TOKEN });

/** Distinct parsed lines as input hands them to the router: APP-NAME still the token. */
function parsedLines(n: number): LogLine[] {
  const out: LogLine[] = [];
  for (let i = 0; i < n; i++) {
    const r = parseRfc5424(factory.buildMessage(i).toString('utf8'));
    if (!r.ok) throw new Error(`the bench line does not parse: ${r.reason}`);
    out.push(r.value);
  }
  return out;
}

// The real embedded store and history, in a throwaway data directory (the OS cleans tmp; the
// files are a few KiB). History writes on this thread here, so its row includes the SQLite write.
const db = openDatabase(mkdtempSync(join(tmpdir(), 'sluice-micro-')));
const store = new SqliteStore(db);
const now = new Date().toISOString();
await store.putApp({ id: 'app-1', name: 'bench', created_at: now, updated_at: now });
await store.putToken({ id: 'tok-1', app_id: 'app-1', name: 'app', token: TOKEN, created_at: now });
const router = new Router(store); // no subscribers: the token lookup and APP-NAME rewrite alone

const lines = parsedLines(HISTORY_LINES);
const routed = lines.map((l) => ({ ...l, source: 'app' }));
const history = new SqliteHistory(db, { worker: false, flushMs: 3_600_000 });
const ring = new Ring<LogLine>(1024);
// A memory-only drain queue at its budget: every push past it drops (and counts) the oldest block.
const queue = new DrainQueue({ memoryBytes: 1 << 20, blockBytes: 64 * 1024, blockLines: Number.MAX_SAFE_INTEGER });
const encoder = syslogEncoder('d.00000000-0000-4000-8000-000000000000');
for (let i = 0; i < 1024; i++) ring.push(routed[i]);
for (let i = 0; i < 8192; i++) encoder.put(encoder.prepare(routed[i % HISTORY_LINES]), queue);
// The state of 10,000 drains that each changed in the last second, as the manager saves them.
const book = new StateBook(mkdtempSync(join(tmpdir(), 'sluice-micro-book-')));
const DRAINS = 10_000;
const drainIds = Array.from({ length: DRAINS }, (_, i) => `d.${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`);
let k = 0;

export const benchmarks: MicroBench[] = [
  {
    name: 'router: routeByAppName (token → app, APP-NAME rewritten)',
    fn: () => {
      const line = lines[k++ % HISTORY_LINES];
      line.source = TOKEN; // as parsed: the router replaces it each time
      return router.routeByAppName(line);
    },
  },
  {
    name: 'core/ring: Ring.push into a full 1,024 ring (displaces the oldest)',
    fn: () => ring.push(routed[k++ % HISTORY_LINES]),
  },
  {
    name: 'drains/queue: encode + queue one syslog frame into a full 1 MiB memory-only queue (drop-oldest, counted)',
    fn: () => {
      encoder.put(encoder.prepare(routed[k++ % HISTORY_LINES]), queue);
      return queue.counters.dropped;
    },
  },
  {
    name: 'history: SqliteHistory.deliver (one busy app, no flush: past 256 lines cooked, a ring push)',
    fn: () => history.deliver('app-1', routed[k++ % HISTORY_LINES]),
  },
  {
    name: `history: ${HISTORY_LINES.toLocaleString('en-US')} × deliver + flush (cook to RFC 5424 bytes, SQLite insert + trim)`,
    opsPerCall: HISTORY_LINES,
    fn: () => {
      for (const l of routed) history.deliver('app-1', l);
      history.flush();
    },
  },
  {
    name: `drains/queue: the states of ${DRAINS.toLocaleString('en-US')} drains saved (StateBook put each + one commit: one appended batch)`,
    opsPerCall: DRAINS,
    fn: () => {
      const n = k++;
      for (const id of drainIds) book.put(id, { counters: { ...emptyCounters(), delivered: n }, nextLine: n, done: { below: n, hole: null }, loss: null, skippedBytes: 0 });
      return book.commit();
    },
  },
];
