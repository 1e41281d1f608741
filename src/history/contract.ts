// The history contract: the newest lines of each app, appended synchronously, read asynchronously.
import type { LogLine } from '../core/log-line.js';
import type { Subscriber } from '../router/subscriber.js';

export const HISTORY_LINES = 1500;

export interface History extends Subscriber {
  /** The newest `n` lines (n ≤ HISTORY_LINES) matching `keep`, oldest first. */
  read(appId: string, n: number, keep?: (line: LogLine) => boolean): Promise<LogLine[]>;
  /** Forgets an app's lines (the app was deleted). */
  drop(appId: string): void;
  /**
   * Resolves once every line delivered so far is on disk (`--ack durable`); rejects when the
   * write failed. Histories that cannot tell leave it out.
   */
  durable?(): Promise<void>;
  /** Writes whatever is pending; `close()` flushes then stops timers. */
  flush(): void;
  close(): Promise<void>;
}
