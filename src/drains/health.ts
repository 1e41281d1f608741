// Drain health: the state a user sees (delivering, retrying, failing) and the counters behind it.
import type { Counters } from './queue/state.js';
import type { QueueStats } from './queue/queue.js';

export type DrainState = 'delivering' | 'retrying' | 'failing';

export interface DrainHealth {
  state: DrainState;
  last_success_at: string | null;
  /** Never contains a secret: messages are built from status codes and socket errors only. */
  last_error: string | null;
  last_error_at: string | null;
  consecutive_failures: number;
  /** Counters survive restarts (kept in the drain's spool directory). */
  delivered: number;
  dropped: number;
  /** Lines queued: in memory, in the spool, or in flight. */
  queued: number;
  queued_bytes: number;
  memory_lines: number;
  memory_bytes: number;
  /** Queued lines with a copy in the spool (a line may be held in memory too). */
  spool_lines: number;
  spool_bytes: number;
  /** spool_bytes ÷ the drain's spool budget. */
  spool_share: number;
  /** Age of the oldest queued line, ms; null when nothing is queued. */
  oldest_queued_age_ms: number | null;
  /** Lines ever written to the spool. */
  spooled: number;
  /** Lines found unreadable in the spool (torn or garbled records); part of `dropped`. */
  corrupt: number;
  /** Lines sent again after a syslog connection broke mid-write: the receiver may have them twice. */
  resent: number;
}

/**
 * `delivering` until something fails; `retrying` after a failure; `failing` after
 * `failingAfter` consecutive failures or a certificate failure (which retrying won't fix).
 * One success puts the drain back to `delivering`. `onChange` hears every transition.
 */
export class HealthTracker {
  consecutiveFailures = 0;
  lastSuccessAt: Date | undefined;
  lastError: string | undefined;
  lastErrorAt: Date | undefined;
  resent = 0;
  onChange: ((state: DrainState, previous: DrainState, error: string | undefined) => void) | undefined;
  private fatal = false;

  constructor(private readonly failingAfter: number) {}

  success(): void {
    const before = this.state;
    this.lastSuccessAt = new Date();
    this.consecutiveFailures = 0;
    this.fatal = false;
    if (before !== 'delivering') this.onChange?.('delivering', before, undefined);
  }

  failure(message: string, fatal = false): void {
    const before = this.state;
    this.consecutiveFailures++;
    this.lastError = message;
    this.lastErrorAt = new Date();
    this.fatal = fatal;
    const now = this.state;
    if (now !== before) this.onChange?.(now, before, message);
  }

  get state(): DrainState {
    if (this.consecutiveFailures === 0) return 'delivering';
    return this.fatal || this.consecutiveFailures >= this.failingAfter ? 'failing' : 'retrying';
  }

  snapshot(c: Counters, q: QueueStats): DrainHealth {
    return {
      state: this.state,
      last_success_at: this.lastSuccessAt?.toISOString() ?? null,
      last_error: this.lastError ?? null,
      last_error_at: this.lastErrorAt?.toISOString() ?? null,
      consecutive_failures: this.consecutiveFailures,
      delivered: c.delivered,
      dropped: c.dropped,
      queued: q.lines,
      queued_bytes: q.bytes,
      memory_lines: q.memory_lines,
      memory_bytes: q.memory_bytes,
      spool_lines: q.disk_lines,
      spool_bytes: q.disk_bytes,
      spool_share: Math.round(q.spool_share * 10_000) / 10_000,
      oldest_queued_age_ms: q.oldest_at === null ? null : Math.max(0, Date.now() - q.oldest_at),
      spooled: c.spooled,
      corrupt: c.corrupt,
      resent: this.resent,
    };
  }
}
