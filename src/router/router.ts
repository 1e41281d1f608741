// Token → app → subscribers: the heart of Sluice, synchronous and allocation-light.
import type { LogLine } from '../core/log-line.js';
import { platformLine } from '../core/stream-errors.js';
import type { ConfigStore } from '../store/contract.js';
import type { TokenRecord } from '../store/records.js';
import { LoopGuard } from './loop-guard.js';
import { RateLimiter } from './rate-limit.js';
import type { Subscriber } from './subscriber.js';

export class Router {
  private readonly subscribers: Subscriber[] = [];
  /** Lines that named a token nobody knows: counted, never stored. */
  unknownToken = 0;
  routed = 0;
  rateLimited = 0;

  readonly limiter: RateLimiter;
  /** Input that one of our own drains sent back (router/loop-guard.ts). */
  readonly loops: LoopGuard;
  /**
   * The token last resolved by routeByAppName: a connection carries one app's lines, so comparing
   * with it is cheaper than hashing each line's fresh APP-NAME string for the Map. Forgotten on
   * every config change (a token or app deleted must stop routing at once).
   */
  private last: TokenRecord | undefined;

  constructor(
    private readonly store: ConfigStore,
    opts: { linesPerSecond?: number } = {},
  ) {
    this.limiter = new RateLimiter(opts.linesPerSecond ?? 0, (appId, text) =>
      this.publish(appId, platformLine('logplex', text)),
    );
    store.onChange(() => (this.last = undefined));
    this.loops = new LoopGuard(store);
  }

  subscribe(sub: Subscriber): void {
    this.subscribers.push(sub);
  }

  /** The token record for `token`, or undefined. Lookup is a Map read: tokens are high entropy. */
  resolve(token: string): TokenRecord | undefined {
    return this.store.tokenByValue(token);
  }

  /**
   * Routes a line that arrived with its token in the APP-NAME field (syslog input): the token is
   * replaced by the token's name, so `t.…` never reaches a subscriber. Returns false when the
   * token is unknown (the line is dropped and counted).
   */
  routeByAppName(line: LogLine, wire?: Uint8Array): boolean {
    if (this.loops.isLoop(line.hostname, 1, 'syslog')) return true; // our own syslog drain's frame: dropped, counted there
    let tok = this.last;
    if (tok === undefined || line.source !== tok.token) {
      tok = this.store.tokenByValue(line.source);
      if (tok === undefined) {
        this.unknownToken++;
        return false;
      }
      this.last = tok;
    }
    if (!this.limiter.admit(tok.app_id, 1)) {
      this.rateLimited++;
      return true; // known token: counted as rate-limited, not as unknown
    }
    line.source = tok.name;
    this.publish(tok.app_id, line, wire);
    return true;
  }

  /** Delivers a line, whose source is already final, to every subscriber (`wire`: see Subscriber). */
  publish(appId: string, line: LogLine, wire?: Uint8Array): void {
    this.routed++;
    const subs = this.subscribers;
    for (let i = 0; i < subs.length; i++) subs[i].deliver(appId, line, wire);
  }
}
