// Drain health: the state a user sees (delivering, retrying, failing) and the counters behind it.
import type { DrainBuffer } from './buffer.js';

export type DrainState = 'delivering' | 'retrying' | 'failing';

export interface DrainHealth {
  state: DrainState;
  last_success_at: string | null;
  /** Never contains a secret: messages are built from status codes and socket errors only. */
  last_error: string | null;
  last_error_at: string | null;
  consecutive_failures: number;
  delivered: number;
  dropped: number;
  queued: number;
}

/**
 * `delivering` until something fails; `retrying` after a failure; `failing` after
 * `failingAfter` consecutive failures or a certificate failure (which retrying won't fix).
 * One success puts the drain back to `delivering`.
 */
export class HealthTracker {
  delivered = 0;
  consecutiveFailures = 0;
  lastSuccessAt: Date | undefined;
  lastError: string | undefined;
  lastErrorAt: Date | undefined;
  private fatal = false;

  constructor(private readonly failingAfter: number) {}

  success(lines: number): void {
    this.delivered += lines;
    this.lastSuccessAt = new Date();
    this.consecutiveFailures = 0;
    this.fatal = false;
  }

  failure(message: string, fatal = false): void {
    this.consecutiveFailures++;
    this.lastError = message;
    this.lastErrorAt = new Date();
    this.fatal = fatal;
  }

  get state(): DrainState {
    if (this.consecutiveFailures === 0) return 'delivering';
    return this.fatal || this.consecutiveFailures >= this.failingAfter ? 'failing' : 'retrying';
  }

  snapshot(buffer: DrainBuffer, inFlight: number): DrainHealth {
    return {
      state: this.state,
      last_success_at: this.lastSuccessAt?.toISOString() ?? null,
      last_error: this.lastError ?? null,
      last_error_at: this.lastErrorAt?.toISOString() ?? null,
      consecutive_failures: this.consecutiveFailures,
      delivered: this.delivered,
      dropped: buffer.dropped,
      queued: buffer.length + inFlight,
    };
  }
}
