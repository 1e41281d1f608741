// The write-behind half of the embedded history: appends each flush's chunks to SQLite and trims
// every app's oldest rows, on whichever thread owns the connection (the history worker, or the
// main thread when no worker can be had).
import type { Db } from '../store/sqlite-db.js';

/**
 * One app's lines of one flush: its id, how many lines, and their records (line-log.ts), oldest
 * first, stored as the row's BLOB as they are: nothing is encoded on either thread.
 */
export type HistoryChunk = [appId: string, n: number, records: Buffer];
/** Where each app's records are in a write's one buffer: its id, line count and byte range. */
export type WriteIndex = [appId: string, n: number, start: number, end: number];

/** A write's apps as HistoryChunks: views of its one buffer, no copy. */
export function chunksOf(records: ArrayBuffer, index: readonly WriteIndex[]): HistoryChunk[] {
  return index.map(([appId, n, start, end]) => [appId, n, Buffer.from(records, start, end - start)]);
}

interface OnDisk {
  /** Chunks on disk, oldest first: their seq and line count, to know what can be trimmed. */
  chunks: { seq: number; n: number }[];
  lines: number;
}

/**
 * Each `write` is one transaction: one INSERT per app, then a DELETE of the app's oldest rows
 * once the newer ones still hold `capacity` lines. What is on disk for an app is learnt from the
 * table on the first write after a start, so a restart trims what the last run left.
 */
export class HistoryDiskWriter {
  private apps = new Map<string, OnDisk>();
  private readonly insert;
  private readonly chunksOf;
  private readonly trim;
  private readonly dropAll;
  private readonly writeAll: (batch: readonly HistoryChunk[]) => void;

  constructor(
    db: Db,
    private readonly capacity: number,
  ) {
    this.insert = db.prepare('INSERT INTO history (app_id, n, lines) VALUES (?, ?, ?)');
    this.chunksOf = db.prepare('SELECT seq, n FROM history WHERE app_id = ? ORDER BY seq');
    this.trim = db.prepare('DELETE FROM history WHERE app_id = ? AND seq <= ?');
    this.dropAll = db.prepare('DELETE FROM history WHERE app_id = ?');
    this.writeAll = db.transaction((batch: readonly HistoryChunk[]) => {
      for (const [appId, n, records] of batch) this.append(appId, n, records);
    });
  }

  write(batch: readonly HistoryChunk[]): void {
    if (batch.length > 0) this.writeAll(batch);
  }

  drop(appId: string): void {
    this.apps.delete(appId);
    this.dropAll.run(appId);
  }

  private append(appId: string, n: number, records: Buffer): void {
    let app = this.apps.get(appId);
    if (app === undefined) {
      const chunks = this.chunksOf.all(appId) as { seq: number; n: number }[];
      app = { chunks, lines: chunks.reduce((sum, c) => sum + c.n, 0) };
      this.apps.set(appId, app);
    }
    const seq = Number(this.insert.run(appId, n, records).lastInsertRowid);
    app.chunks.push({ seq, n });
    app.lines += n;
    let cut = -1;
    let drop = 0;
    while (drop + 1 < app.chunks.length && app.lines - app.chunks[drop].n >= this.capacity) {
      app.lines -= app.chunks[drop].n;
      cut = app.chunks[drop].seq;
      drop++;
    }
    if (cut >= 0) {
      app.chunks.splice(0, drop);
      this.trim.run(appId, cut);
    }
  }
}
