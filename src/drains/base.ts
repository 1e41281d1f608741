// The lifecycle every drain kind shares: woken when frames are queued, one sender loop, close =
// deliver until the deadline then stop (what is left stays queued for the spool).
import { l14 } from '../core/stream-errors.js';
import { redactUrl } from '../core/redact.js';
import { backoffDelay } from './backoff.js';
import type { Drain, DrainContext, DrainTestResult } from './contract.js';
import type { DrainKind } from './url.js';

/**
 * Subclasses implement `step()`: deliver one unit (a block: a batch, a write) and say what
 * happened. The base runs steps one at a time — so a drain never has two deliveries in flight
 * and order holds — and waits between them when told to. `wake()` schedules the loop with
 * setImmediate so that lines arriving in one tick travel together.
 */
export type StepResult =
  | { next: 'continue' }
  | { next: 'idle' }
  /** Wait `delayMs` (backoff, Retry-After) before the next step. */
  | { next: 'wait'; delayMs: number };

export abstract class BaseDrain implements Drain {
  abstract readonly kind: DrainKind;
  protected destroyed = false;
  protected closing = false;
  /** The sender loop is executing, or is scheduled to start (`startsAt` says how). */
  private running = false;
  /** 'immediate' while a start is queued with setImmediate; an eager start then overtakes it. */
  private startsAt: 'now' | 'immediate' | undefined;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private lastL14 = 0;

  constructor(protected readonly ctx: DrainContext) {}

  wake(): void {
    // Past a block's worth, waiting for setImmediate only makes the batch wait: start at once.
    if (this.startsAt === 'immediate' && this.ctx.queue.length >= this.eagerAt) {
      this.startsAt = 'now';
      queueMicrotask(this.start);
    } else this.kick();
  }

  abstract inFlight(): number;
  abstract test(): Promise<DrainTestResult>;
  /** Delivers one unit. Must not throw; returns what to do next. */
  protected abstract step(): Promise<StepResult>;
  /** Releases sockets and clients. */
  protected abstract release(): void;
  /** True when nothing is queued or in flight. */
  protected idle(): boolean {
    return this.ctx.queue.empty && this.inFlight() === 0;
  }

  /** Queued lines from which a start is brought forward (see `wake`). */
  private readonly eagerAt = 256;

  /**
   * Wakes the sender (starts the loop unless it runs or is waiting out a backoff). The start is
   * deferred with setImmediate so that lines arriving in one turn of the event loop travel
   * together, unless enough are queued already.
   */
  protected kick(): void {
    if (this.running || this.timer !== undefined || this.destroyed) return;
    this.running = true;
    if (this.ctx.queue.length >= this.eagerAt) {
      this.startsAt = 'now';
      queueMicrotask(this.start);
    } else {
      this.startsAt = 'immediate';
      setImmediate(this.startDeferred);
    }
  }

  private readonly start = (): void => {
    this.startsAt = undefined;
    void this.loop();
  };

  private readonly startDeferred = (): void => {
    if (this.startsAt === 'immediate') this.start(); // else an eager start has run already
  };

  private async loop(): Promise<void> {
    try {
      while (!this.destroyed) {
        if (this.idle()) break;
        const r = await this.step();
        if (this.destroyed || r.next === 'idle') break;
        if (r.next === 'wait') {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.kick();
          }, r.delayMs);
          this.timer.unref?.();
          this.running = false;
          return;
        }
      }
    } catch {
      // step() must not throw; if it did, the loop stops and the next push restarts it.
    }
    this.running = false;
    if (this.idle() || this.destroyed) this.notifyIdle();
  }

  private notifyIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  protected backoff(attempt: number): number {
    const o = this.ctx.options;
    return backoffDelay(attempt, o.backoffBaseMs, o.backoffMaxMs);
  }

  /** L14 into the app's log, at most once per `l14IntervalMs` while failures persist. */
  protected reportCertFailure(reason: string): void {
    const now = Date.now();
    if (now - this.lastL14 < this.ctx.options.l14IntervalMs) return;
    this.lastL14 = now;
    this.ctx.appLog(l14(reason, redactUrl(this.ctx.url)));
  }

  protected certOk(): void {
    this.lastL14 = 0;
  }

  async close(deadline: number): Promise<void> {
    if (this.destroyed) return;
    this.closing = true;
    if (!this.idle()) {
      // Waiting out a long backoff would waste the grace period: try again now.
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      this.kick();
      const remaining = deadline - Date.now();
      if (remaining > 0) {
        let t: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
          new Promise<void>((resolve) => (t = setTimeout(resolve, remaining))),
        ]);
        clearTimeout(t);
      }
    }
    this.destroy();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.release();
    this.notifyIdle();
  }
}

export function elapsed(start: number): number {
  return Date.now() - start;
}
