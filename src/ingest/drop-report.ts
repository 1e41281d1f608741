// Rate-limited summaries in the server log of input the node threw away (unknown tokens, evicted connections).
import type { Logger } from '../telemetry/logger.js';

/** At most this many addresses are named per summary; the rest are added up in one more line. */
const MAX_ADDRESSES = 20;

export interface DropReportOptions {
  /** Summary interval; default 10 s. */
  intervalMs?: number;
  /** The sentence for one address: `what(count, seconds, address)`. Never gets a secret. */
  describe: (count: number, seconds: number, address: string) => string;
  /** Log fields that say what kind of drop this is (`{ event: 'syslog_unknown_token' }`). */
  fields: Record<string, string>;
}

/**
 * Counts drops per sender address and writes them to the server log at most once per interval:
 * the first drop of a quiet period is said at once (an operator trying a new sender sees it
 * while trying), later ones are added up and said when the interval ends. No timer runs while
 * nothing is dropped, and the one that runs is unref'd, so it never holds the process open.
 */
export class DropReport {
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #describe: DropReportOptions['describe'];
  readonly #fields: Record<string, string>;
  #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(log: Logger, opts: DropReportOptions) {
    this.#log = log;
    this.#intervalMs = opts.intervalMs ?? 10_000;
    this.#describe = opts.describe;
    this.#fields = opts.fields;
  }

  note(address: string, count = 1): void {
    if (this.#timer === undefined) {
      this.#write(new Map([[address, count]]));
      this.#timer = setTimeout(() => this.#flush(), this.#intervalMs);
      this.#timer.unref();
      return;
    }
    this.#pending.set(address, (this.#pending.get(address) ?? 0) + count);
  }

  /** Says what is pending now (used at shutdown) and stops the timer. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size > 0) this.#write(this.#takePending());
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#pending.size === 0) return; // quiet for a whole interval: the next drop is said at once
    this.#write(this.#takePending());
    this.#timer = setTimeout(() => this.#flush(), this.#intervalMs);
    this.#timer.unref();
  }

  #takePending(): Map<string, number> {
    const p = this.#pending;
    this.#pending = new Map();
    return p;
  }

  #write(counts: Map<string, number>): void {
    const seconds = Math.round(this.#intervalMs / 1000);
    let named = 0;
    let restCount = 0;
    let restAddresses = 0;
    for (const [address, count] of counts) {
      if (named++ < MAX_ADDRESSES) this.#log.warn({ ...this.#fields, count, address }, this.#describe(count, seconds, address));
      else {
        restCount += count;
        restAddresses++;
      }
    }
    if (restAddresses > 0) {
      this.#log.warn({ ...this.#fields, count: restCount, addresses: restAddresses }, this.#describe(restCount, seconds, `${restAddresses} more addresses`));
    }
  }
}
