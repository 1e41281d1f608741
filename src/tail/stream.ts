// Serves one opened log session: history, then (with tail) live lines, as SSE or plain text.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogLine } from '../core/log-line.js';
import { Ring } from '../core/ring.js';
import { l11, l15 } from '../core/stream-errors.js';
import type { History } from '../history/contract.js';
import { formatSessionLine } from '../wire/session-text.js';
import { compileFilter } from './filter.js';
import type { TailClient, TailHub } from './hub.js';
import type { LogSession } from './sessions.js';
import { SseBatch } from './sse-batch.js';

export interface StreamDeps {
  history: History;
  hub: TailHub;
  /** Lines a slow reader may have queued before the oldest are dropped (L11). */
  tailBuffer?: number;
  heartbeatMs?: number;
  /** The history could not be read: the reader gets an L15 line, the operator this call. */
  onHistoryError?: (appId: string, err: unknown) => void;
}

export interface StreamOptions {
  /** SSE only: many lines per event, history's end marked, filtered-out counts (sse-batch.ts). */
  batch?: boolean;
}

/**
 * One reader. Lines are written straight to the socket while it keeps up; when the socket
 * pushes back they queue in a bounded ring, and what the ring displaces is reported as one L11
 * line once the reader catches up. Memory per session is therefore bounded whatever the reader does.
 */
class SessionWriter implements TailClient {
  private queue: Ring<LogLine>;
  private blocked = true; // until history has been written
  private dropped = 0;
  private firstDrop: Date | undefined;
  private eventId: number;
  private readonly keep: ((line: LogLine) => boolean) | undefined;
  private readonly priority: boolean;
  readonly batch: SseBatch | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly sse: boolean,
    session: LogSession,
    capacity: number,
    lastEventId: number,
    batch: boolean,
  ) {
    this.queue = new Ring(capacity);
    this.keep = compileFilter(session.filter);
    this.priority = session.priority === true;
    this.eventId = lastEventId;
    this.batch = sse && batch ? new SseBatch(res, lastEventId, () => (this.blocked = true)) : undefined;
    res.on('drain', () => this.resume());
  }

  push(line: LogLine): void {
    if (this.keep !== undefined && !this.keep(line)) {
      this.batch?.skipped(line.source);
      return;
    }
    if (!this.blocked) {
      this.write(line);
      return;
    }
    if (this.queue.push(line)) {
      if (this.dropped++ === 0) this.firstDrop = new Date();
    }
  }

  /** Writes lines that bypass the filter and the queue (history, heartbeats). */
  write(line: LogLine): void {
    const text = this.priority ? `<${line.pri}>${formatSessionLine(line)}` : formatSessionLine(line);
    if (this.batch) {
      this.batch.add(text);
      return;
    }
    const ok = this.res.write(this.sse ? sseEvent(++this.eventId, text) : text);
    if (!ok) this.blocked = true;
  }

  resume(): void {
    // Still full (history filled the socket): the 'drain' event calls again.
    if (this.res.writableNeedDrain) return;
    this.blocked = false;
    if (this.dropped > 0) {
      const n = this.dropped;
      this.dropped = 0;
      this.write(l11(n, this.firstDrop ?? new Date()));
    }
    while (!this.blocked && this.queue.length > 0) this.write(this.queue.shift() as LogLine);
  }
}

function sseEvent(id: number, text: string): string {
  // One event per log line; a message with inner newlines becomes several data: lines.
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return `id: ${id}\ndata: ${body.includes('\n') ? body.split('\n').join('\ndata: ') : body}\n\n`;
}

export async function serveSession(
  req: IncomingMessage,
  res: ServerResponse,
  session: LogSession,
  deps: StreamDeps,
  opts: StreamOptions = {},
): Promise<void> {
  const sse = (req.headers.accept ?? '').includes('text/event-stream');
  res.writeHead(200, {
    'Content-Type': sse ? 'text/event-stream; charset=utf-8' : 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders(); // a tail with no history yet must still answer at once
  res.socket?.setNoDelay(true);
  // An SSE client reconnecting (Last-Event-ID) has seen the history already: only the tail.
  const lastEventId = Number.parseInt(String(req.headers['last-event-id'] ?? ''), 10);
  const resumed = sse && session.tail && Number.isFinite(lastEventId);
  const writer = new SessionWriter(res, sse, session, deps.tailBuffer ?? 1024, resumed ? lastEventId : 0, opts.batch === true);

  // Subscribe before reading history so no line falls between the two; lines that arrive
  // meanwhile wait in the writer's queue until the history is out.
  const unsubscribe = session.tail ? deps.hub.add(session.appId, writer) : () => {};
  let heartbeat: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    res.on('close', () => {
      unsubscribe();
      writer.batch?.close();
      if (heartbeat) clearInterval(heartbeat);
      resolve();
    });
  });

  if (!resumed) {
    try {
      const keep = compileFilter(session.filter);
      for (const line of await deps.history.read(session.appId, session.lines, keep)) writer.write(line);
    } catch (err) {
      deps.onHistoryError?.(session.appId, err);
      writer.write(l15());
    }
  }
  if (!session.tail) {
    // The session is spent (sessions.ts): an EventSource that reconnects gets a 404 and stops.
    // No `retry:` hint, which would only make such a client come back sooner.
    writer.batch?.flush();
    res.end();
    return done;
  }
  if (sse) {
    heartbeat = setInterval(() => res.write(': keepalive\n\n'), deps.heartbeatMs ?? 15_000);
    heartbeat.unref();
  }
  writer.batch?.live();
  writer.resume();
  return done;
}
