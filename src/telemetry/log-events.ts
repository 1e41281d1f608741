// The server log's catalogue of named events: what the node says about itself, levelled and rate-limited.
import { redactText } from '../core/redact.js';
import type { Logger } from './logger.js';

/** How often repeated warnings (rejections, auth failures, engine errors) are summarised. */
export const SUMMARY_INTERVAL_MS = 10_000;

export interface StartInfo {
  version: string;
  mode: 'embedded' | 'cluster';
  host: string;
  http: number;
  syslog: number;
  syslogTls?: number;
  router?: number;
  dataDir?: string;
  publicUrl: string;
  consoleUrl: string;
  ack: string;
}

/**
 * Every event the node logs has a name (`event` field) and fixed fields; secrets never go in a
 * field (callers pass ids, counts, reasons and addresses only), and text from errors is redacted
 * again here as well as by the logger. Events that can repeat at input rates are counted and
 * written as one summary per interval and key, so a flood of bad input costs a counter, not a
 * log line per packet.
 */
export class ServerEvents {
  private readonly rejected = new Summary();
  private readonly authFailures = new Summary();
  private readonly trouble = new Map<string, { count: number; message: string }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    intervalMs = SUMMARY_INTERVAL_MS,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  started(i: StartInfo): void {
    this.log.info({ event: 'started', ...i }, `sluice ${i.version} listening: http=${i.http} syslog=${i.syslog}; console at ${i.consoleUrl}`);
  }

  /** Input refused at a listener (counts only; the line itself is never logged). */
  inputRejected(transport: string, reason: string, lines = 1): void {
    this.rejected.add(`${transport}\u0000${reason}`, lines);
  }

  /** A request with missing or wrong credentials; `where` is `api` or `logs`. */
  authFailed(where: 'api' | 'logs', remote: string | undefined): void {
    this.authFailures.add(`${where}\u0000${remote ?? 'unknown'}`, 1);
  }

  /** The engine (database, history writer, NATS) failed; the first of a kind is logged at once. */
  engineTrouble(component: string, err: unknown): void {
    const message = redactText(err instanceof Error ? err.message : String(err));
    const t = this.trouble.get(component);
    if (t) {
      t.count++;
      t.message = message;
      return;
    }
    this.trouble.set(component, { count: 0, message });
    this.log.error({ event: 'engine_trouble', component, error: message }, `${component}: ${message}`);
  }

  /** A bug: an exception nobody expected. The stack is kept (redacted) for whoever fixes it. */
  unexpected(where: string, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.log.error({ event: 'unexpected_error', where, error: redactText(e.message), stack: redactText(e.stack ?? '') }, `unexpected error in ${where}: ${redactText(e.message)}`);
  }

  shutdown(step: string, fields: Record<string, number | string | boolean> = {}): void {
    this.log.info({ event: 'shutdown', step, ...fields }, `stopping: ${step}`);
  }

  stopped(fields: Record<string, number | string | boolean>): void {
    this.flush();
    clearInterval(this.timer);
    this.log.info({ event: 'stopped', ...fields }, 'sluice stopped');
  }

  /** Writes the summaries of the interval now (also at stop, so nothing counted goes unsaid). */
  flush(): void {
    for (const [key, lines] of this.rejected.take()) {
      const [transport, reason] = key.split('\u0000');
      this.log.warn({ event: 'input_rejected', transport, reason, count: lines }, `rejected ${lines} ${transport} input(s): ${reason}`);
    }
    for (const [key, count] of this.authFailures.take()) {
      const [where, remote] = key.split('\u0000');
      this.log.warn({ event: 'auth_failed', where, remote, count }, `${count} request(s) to ${where === 'logs' ? 'POST /logs' : 'the API'} with missing or wrong credentials from ${remote}`);
    }
    for (const [component, t] of this.trouble) {
      if (t.count > 0) this.log.error({ event: 'engine_trouble', component, error: t.message, repeated: t.count }, `${component}: ${t.message} (${t.count} more)`);
    }
    this.trouble.clear();
  }
}

/** Counts per key between two flushes, with a cap on keys (remote addresses are unbounded). */
class Summary {
  private counts = new Map<string, number>();
  private overflow = 0;

  add(key: string, n: number): void {
    const c = this.counts.get(key);
    if (c !== undefined) this.counts.set(key, c + n);
    else if (this.counts.size < 100) this.counts.set(key, n);
    else this.overflow += n;
  }

  take(): Array<[string, number]> {
    const out = [...this.counts];
    if (this.overflow > 0) out.push([`other\u0000other`, this.overflow]);
    this.counts = new Map();
    this.overflow = 0;
    return out;
  }
}
