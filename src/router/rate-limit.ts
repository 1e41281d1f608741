// Per-app input rate limit (SPEC §10): a token bucket per app; drops are counted and reported once per interval.
import { formatSecondTime } from '../core/clock.js';

interface Bucket {
  tokens: number;
  last: number;
  dropped: number;
  since: number;
}

/**
 * `linesPerSecond` 0 disables the limit (the default: one machine, one tenant). The bucket holds
 * one second's worth, so a burst up to the limit passes at once. Buckets of quiet apps are
 * forgotten at each report, so idle apps cost nothing.
 */
export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly linesPerSecond: number,
    private readonly report: (appId: string, text: string) => void,
    intervalMs = 10_000,
  ) {
    if (linesPerSecond > 0) {
      this.timer = setInterval(() => this.flushReports(), intervalMs);
      this.timer.unref();
    }
  }

  /** True when `n` lines may enter now; otherwise they are counted as dropped. */
  admit(appId: string, n: number, at?: number): boolean {
    if (this.linesPerSecond <= 0) return true; // before the clock read: the unlimited default pays nothing per line
    const now = at ?? Date.now();
    let b = this.buckets.get(appId);
    if (!b) this.buckets.set(appId, (b = { tokens: this.linesPerSecond, last: now, dropped: 0, since: 0 }));
    b.tokens = Math.min(this.linesPerSecond, b.tokens + ((now - b.last) / 1000) * this.linesPerSecond);
    b.last = now;
    if (b.tokens >= n) {
      b.tokens -= n;
      return true;
    }
    if (b.dropped === 0) b.since = now;
    b.dropped += n;
    return false;
  }

  /** Seconds until `n` lines would fit: the Retry-After of a refused HTTP batch. */
  retryAfter(appId: string, n: number): number {
    const b = this.buckets.get(appId);
    const missing = Math.max(0, n - (b?.tokens ?? 0));
    return Math.max(1, Math.ceil(missing / this.linesPerSecond));
  }

  flushReports(now = Date.now()): void {
    for (const [appId, b] of this.buckets) {
      if (b.dropped > 0) {
        this.report(
          appId,
          `Input rate limit exceeded: ${b.dropped} messages dropped since ${formatSecondTime(new Date(b.since))} (limit ${this.linesPerSecond} lines/s).`,
        );
        b.dropped = 0;
      } else if (now - b.last > 60_000) this.buckets.delete(appId);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.flushReports();
  }
}
