// The history worker thread: owns a second SQLite connection and does the history's disk writes,
// so that a flush (and SQLite's WAL checkpoints) never stalls the thread that routes lines.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { chunksOf, HistoryDiskWriter, type WriteIndex } from './disk-writer.js';

/**
 * What the main thread sends, in order; the worker answers only `error`, `written` and `closed`.
 * A write's records for every app of one flush part are in one buffer, transferred (not copied);
 * `index` gives each app's id, line count and byte range in it.
 */
export type ToWorker = { op: 'write'; records: ArrayBuffer; index: WriteIndex[] } | { op: 'drop'; appId: string } | { op: 'close' };
/**
 * `written` acknowledges each `write`, failed or not, so the main thread can pace its flushes,
 * and hands the write's buffer back (transferred) for a later one.
 */
export type FromWorker = { op: 'error'; message: string } | { op: 'written'; records?: ArrayBuffer } | { op: 'closed' };
export interface WorkerInit {
  file: string;
  capacity: number;
}

const port = parentPort;
if (port) {
  const init = workerData as WorkerInit;
  const db = new Database(init.file);
  db.pragma('synchronous = NORMAL'); // the file is already in WAL mode (openDatabase)
  db.pragma('busy_timeout = 5000'); // config writes on the main connection take the lock briefly
  const writer = new HistoryDiskWriter(db, init.capacity);
  port.on('message', (m: ToWorker) => {
    try {
      if (m.op === 'write') writer.write(chunksOf(m.records, m.index));
      else if (m.op === 'drop') writer.drop(m.appId);
      else {
        db.close();
        port.postMessage({ op: 'closed' } satisfies FromWorker);
        port.close();
      }
    } catch (err) {
      port.postMessage({ op: 'error', message: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
    }
    if (m.op === 'write') port.postMessage({ op: 'written', records: m.records } satisfies FromWorker, [m.records]);
  });
}

