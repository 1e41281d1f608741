// Cluster history: one capped Redis list per app, shared by every node, written behind in batches.
import type { Redis } from 'ioredis';
import type { LogLine } from '../core/log-line.js';
import { keys } from '../store/redis-link.js';
import { formatRfc5424, parseRfc5424 } from '../wire/rfc5424.js';
import { HISTORY_LINES, type History } from './contract.js';

export interface RedisHistoryOptions {
  flushMs?: number;
  capacity?: number;
  /** Lines waiting for Redis across all apps; beyond this new lines are dropped and counted. */
  maxPending?: number;
  onError?: (err: unknown) => void;
}

/**
 * `deliver` only queues (no await, no I/O on the hot path). Every `flushMs` one MULTI carries
 * `RPUSH` + `LTRIM -capacity -1` per app that received lines, so the list holds exactly the
 * newest `capacity` lines whichever nodes wrote them. One flush is in flight at a time; while
 * Redis is unreachable lines wait, bounded by `maxPending` (an app never needs more than
 * `capacity` waiting: older ones would be trimmed anyway), and what does not fit is counted in
 * `dropped`. A failed flush puts its lines back in front of what arrived since.
 *
 * `read` is `LRANGE` plus the lines of this node still waiting: the LRANGE goes on the same
 * connection after any flush in flight, so a line is counted once and a node always reads its
 * own writes. When Redis cannot answer, `read` rejects and the session shows L15.
 */
export class RedisHistory implements History {
  /** Lines waiting, per app, oldest first. */
  private pending = new Map<string, LogLine[]>();
  private pendingCount = 0;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout;
  private failing = false;
  private readonly capacity: number;
  private readonly maxPending: number;
  private readonly onError: (err: unknown) => void;
  /** Lines that never reached Redis because the queue was full. */
  dropped = 0;

  constructor(
    private readonly redis: Redis,
    opts: RedisHistoryOptions = {},
  ) {
    this.capacity = opts.capacity ?? HISTORY_LINES;
    this.maxPending = opts.maxPending ?? 100_000;
    this.onError = opts.onError ?? (() => {});
    this.timer = setInterval(() => this.flush(), opts.flushMs ?? 50);
    this.timer.unref();
  }

  deliver(appId: string, line: LogLine): void {
    let q = this.pending.get(appId);
    if (q === undefined) this.pending.set(appId, (q = []));
    if (q.length >= this.capacity * 2) {
      // Only the newest `capacity` can ever be read back: forget the older half at once.
      const cut = q.length - this.capacity;
      q.splice(0, cut);
      this.pendingCount -= cut;
    }
    if (this.pendingCount >= this.maxPending) {
      this.dropped++;
      return;
    }
    q.push(line);
    this.pendingCount++;
  }

  async read(appId: string, n: number, keep?: (line: LogLine) => boolean): Promise<LogLine[]> {
    const want = Math.max(0, Math.min(n, this.capacity));
    if (want === 0) return [];
    const waiting = this.pending.get(appId) ?? [];
    const local = waiting.slice(-want);
    // Unfiltered: only the last `want` can matter. Filtered: the whole list is scanned.
    const texts = await this.redis.lrange(keys.history(appId), keep ? 0 : -want, -1);
    const all: LogLine[] = [];
    for (const t of texts) {
      const r = parseRfc5424(t);
      if (r.ok) all.push(r.value);
    }
    for (const l of keep ? waiting : local) all.push(l);
    if (!keep) return all.slice(-want);
    const out: LogLine[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < want; i--) if (keep(all[i])) out.push(all[i]);
    return out.reverse();
  }

  drop(appId: string): void {
    this.pendingCount -= this.pending.get(appId)?.length ?? 0;
    this.pending.delete(appId);
    this.redis.del(keys.history(appId)).catch((err: unknown) => this.onError(err));
  }

  flush(): void {
    if (this.inflight || this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.pendingCount = 0;
    const m = this.redis.multi();
    for (const [appId, lines] of batch) {
      const key = keys.history(appId);
      m.rpush(key, ...lines.slice(-this.capacity).map(formatRfc5424));
      m.ltrim(key, -this.capacity, -1);
    }
    this.inflight = m.exec().then(
      (res) => {
        const failed = res?.find(([err]) => err);
        if (!res || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
        this.failing = false;
      },
      (err: unknown) => {
        this.requeue(batch);
        // One report per outage, not one per 50 ms.
        if (!this.failing) this.onError(err);
        this.failing = true;
      },
    ).catch((err: unknown) => this.onError(err)).finally(() => {
      this.inflight = undefined;
    });
  }

  /** Flushes what is waiting and waits for it (Redis down: gives up when the command fails). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.inflight;
    this.flush();
    await this.inflight;
  }

  /** Lines of a failed flush go back before the ones that arrived since, within the bounds. */
  private requeue(batch: Map<string, LogLine[]>): void {
    for (const [appId, lines] of batch) {
      const newer = this.pending.get(appId) ?? [];
      // Lines beyond the newest `capacity` would be trimmed anyway: not a loss. The rest is.
      const useful = Math.max(0, Math.min(lines.length, this.capacity - newer.length));
      const fits = Math.min(useful, Math.max(0, this.maxPending - this.pendingCount));
      this.dropped += useful - fits;
      if (fits === 0) continue;
      const back = lines.slice(lines.length - fits);
      this.pending.set(appId, [...back, ...newer]);
      this.pendingCount += back.length;
    }
  }
}
