// The contract every consumer of routed lines implements: history, tails, drains.
import type { LogLine } from '../core/log-line.js';

/**
 * Called synchronously for every routed line, in arrival order per input connection.
 * Implementations must not block or throw: buffer, count, and return.
 */
export interface Subscriber {
  /**
   * `wire`: the RFC 5424 frame the line was parsed from, passed when its MSG is unchanged (no
   * token scrubbed out of it), so that a drain can copy bytes instead of encoding them again.
   * Valid only during the call: never keep it (it is a view of a socket's read buffer).
   */
  deliver(appId: string, line: LogLine, wire?: Uint8Array): void;
}
