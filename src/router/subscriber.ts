// The contract every consumer of routed lines implements: history, tails, drains.
import type { LogLine } from '../core/log-line.js';

/**
 * Called synchronously for every routed line, in arrival order per input connection.
 * Implementations must not block or throw: buffer, count, and return.
 */
export interface Subscriber {
  deliver(appId: string, line: LogLine): void;
}
