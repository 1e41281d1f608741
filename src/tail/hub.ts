// Live tails: the router's subscriber that hands each line to the open tails of its app.
import type { LogLine } from '../core/log-line.js';
import type { Subscriber } from '../router/subscriber.js';

export interface TailClient {
  /** Must not block: a slow client buffers (bounded) and counts what it drops. */
  push(line: LogLine): void;
}

export class TailHub implements Subscriber {
  private byApp = new Map<string, Set<TailClient>>();

  deliver(appId: string, line: LogLine): void {
    const set = this.byApp.get(appId);
    if (set === undefined) return;
    for (const c of set) c.push(line);
  }

  add(appId: string, client: TailClient): () => void {
    let set = this.byApp.get(appId);
    if (!set) this.byApp.set(appId, (set = new Set()));
    set.add(client);
    return () => {
      set.delete(client);
      if (set.size === 0 && this.byApp.get(appId) === set) this.byApp.delete(appId);
    };
  }

  get count(): number {
    let n = 0;
    for (const s of this.byApp.values()) n += s.size;
    return n;
  }
}
