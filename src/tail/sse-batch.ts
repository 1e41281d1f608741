// Batched SSE for a log session (`?batch=1`, the web console): many lines per event, the end of
// the history marked, and per-source counts of the tail lines the session's filter left out.
//
// One event per line costs a browser an event dispatch, a string copy and a callback per line:
// at 10,000 lines/s that alone keeps a page busy. Batched, a reader gets at most one event per
// BATCH_MS (or per BATCH_LINES lines), whatever the rate. Plain-text sessions (the Heroku CLI,
// `sluice logs`) and unbatched SSE are untouched.
import type { ServerResponse } from 'node:http';

/** Longest a line waits for its batch: well under a frame's worth of human patience. */
export const BATCH_MS = 50;
/** A batch is sent at once when it holds this many lines (bounds what waits outside the queue). */
export const BATCH_LINES = 500;

export class SseBatch {
  private text = '';
  private lines = 0;
  /** Tail lines the filter left out, by source: the console's chart counts the whole app. */
  private uncounted = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private eventId: number;

  constructor(
    private readonly res: ServerResponse,
    lastEventId: number,
    /** Told when the socket pushes back (the writer then queues in its ring). */
    private readonly onBlocked: () => void,
  ) {
    this.eventId = lastEventId;
  }

  /** One session line (it ends in a newline). */
  add(text: string): void {
    this.text += text;
    if (++this.lines >= BATCH_LINES) this.flush();
    else this.later();
  }

  /** A tail line the session's filter did not keep. */
  skipped(source: string): void {
    this.uncounted.set(source, (this.uncounted.get(source) ?? 0) + 1);
    this.later();
  }

  /** `event: live`: what follows is the tail, not history (a reader counts only from here). */
  live(): void {
    this.flush();
    this.write('event: live\ndata: \n\n');
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines > 0) {
      const body = this.text.endsWith('\n') ? this.text.slice(0, -1) : this.text;
      this.text = '';
      this.lines = 0;
      this.write(`id: ${++this.eventId}\ndata: ${body.split('\n').join('\ndata: ')}\n\n`);
    }
    if (this.uncounted.size > 0) {
      const counts = JSON.stringify(Object.fromEntries(this.uncounted));
      this.uncounted.clear();
      this.write(`event: counts\ndata: ${counts}\n\n`);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private later(): void {
    if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), BATCH_MS);
  }

  private write(chunk: string): void {
    if (!this.res.write(chunk)) this.onBlocked();
  }
}
