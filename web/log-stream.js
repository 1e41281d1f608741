// A live log view's connection: a log session (POST /apps/{app}/log-sessions) read with EventSource.
//
//   connecting ──open──▶ live ──error, browser retrying──▶ reconnecting ──open──▶ live
//        │                 │                                   │
//        └──────────── error, closed (404: session expired, node restarted) ──▶ ended
//   ended ──after 1 s, 2 s, 4 s, then every 5 s──▶ connecting, with a new session
//
// The browser's own retries resume the same session (Last-Event-ID: no history again). A new
// session replays history (up to 100 lines on a reconnect); the lines already on screen are skipped.
// The session is read batched (`batch=1`, src/tail/sse-batch.ts): many lines per event, an
// `event: live` where the history ends, and `event: counts` for tail lines the filter left out.

import { ApiError, call, sameOrigin, seg } from './api.js';

/** @typedef {'connecting' | 'live' | 'reconnecting' | 'ended' | 'stopped'} StreamState */
/** @typedef {{source?: string, dyno?: string, search?: string}} StreamFilter */

const RECENT = 300; // lines remembered to skip history repeated by a new session

export class LogStream {
  /**
   * @param {{
   *   key: () => string | null,
   *   onLines: (lines: string[], tail: boolean) => void,
   *   onCounts?: (bySource: Record<string, number>) => void,
   *   onState: (state: StreamState, detail: string) => void,
   *   onRefused: () => void,
   * }} hooks
   * @param {{lines?: number, priority?: boolean}} [opts]  history lines to replay; `<PRI>` per line
   */
  constructor(hooks, opts = {}) {
    this.hooks = hooks;
    this.lines = opts.lines ?? 100;
    this.priority = opts.priority ?? false;
    /** @type {EventSource | null} */
    this.es = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.generation = 0;
    this.failures = 0;
    /** @type {string[]} the newest lines received, to skip a new session's repeated history */
    this.recent = [];
    this.skipping = false;
    this.tail = false; // past the history (`event: live`)
    this.app = '';
    /** @type {StreamFilter} */
    this.filter = {};
  }

  /**
   * Starts a fresh view of `app` (closing any other).
   * @param {string} app
   * @param {StreamFilter} filter
   */
  start(app, filter) {
    this.stop();
    this.app = app;
    this.filter = filter;
    this.failures = 0;
    this.recent = [];
    void this.open(++this.generation, false);
  }

  stop() {
    this.generation++;
    clearTimeout(this.timer);
    this.es?.close();
    this.es = null;
    this.hooks.onState('stopped', '');
  }

  /**
   * @param {number} gen
   * @param {boolean} again  a reconnect: skip lines already shown
   */
  async open(gen, again) {
    const key = this.hooks.key();
    if (key === null) return;
    this.hooks.onState('connecting', again ? 'opening a new log session' : 'opening a log session');
    /** @type {{lines: number, tail: boolean, priority?: boolean, source?: string, dyno?: string, search?: string}} */
    const body = { lines: again ? Math.min(this.lines, 100) : this.lines, tail: true };
    if (this.priority) body.priority = true;
    if (this.filter.source) body.source = this.filter.source;
    if (this.filter.dyno) body.dyno = this.filter.dyno;
    // Searched on the node, over the history and the tail: only matching lines travel.
    if (this.filter.search) body.search = this.filter.search;
    let session;
    try {
      session = await call(key, 'POST', `/apps/${seg(this.app)}/log-sessions`, body);
    } catch (err) {
      if (gen !== this.generation) return;
      if (err instanceof ApiError && err.kind === 'refused') {
        this.hooks.onState('stopped', err.message);
        this.hooks.onRefused();
        return;
      }
      if (err instanceof ApiError && (err.status === 403 || err.status === 404)) {
        this.hooks.onState('stopped', err.message); // the app is gone or out of reach: retrying won't help
        return;
      }
      this.retryLater(gen, err instanceof Error ? err.message : String(err));
      return;
    }
    if (gen !== this.generation) return;
    this.skipping = again;
    this.tail = false;
    const url = sameOrigin(String(session.logplex_url));
    const es = new EventSource(`${url}${url.includes('?') ? '&' : '?'}batch=1`);
    this.es = es;
    es.onopen = () => {
      if (gen !== this.generation) return;
      this.failures = 0;
      this.hooks.onState('live', '');
    };
    es.onmessage = (e) => {
      if (gen !== this.generation) return;
      this.receive(String(e.data).split('\n'));
    };
    es.addEventListener('live', () => {
      if (gen !== this.generation) return;
      this.tail = true;
      this.skipping = false; // a new session's history is over: nothing after it was seen before
    });
    es.addEventListener('counts', (e) => {
      if (gen !== this.generation || !this.hooks.onCounts) return;
      try {
        this.hooks.onCounts(JSON.parse(String(/** @type {MessageEvent} */ (e).data)));
      } catch {
        /* a malformed count is not worth breaking the stream for */
      }
    });
    es.onerror = () => {
      if (gen !== this.generation) return;
      if (es.readyState === EventSource.CONNECTING) {
        // The browser retries the same session by itself and resumes after the last event.
        this.hooks.onState('reconnecting', 'the stream was interrupted');
        return;
      }
      es.close();
      this.es = null;
      this.retryLater(gen, 'the stream ended');
    };
  }

  /**
   * @param {number} gen
   * @param {string} why
   */
  retryLater(gen, why) {
    // Capped low: one small request every 5 s is nothing for the node, and a person waiting for
    // a restarted node should see it back within seconds, not half a minute.
    const delay = Math.min(5000, 1000 * 2 ** Math.min(this.failures++, 3));
    this.hooks.onState('ended', `${why}; reconnecting in ${Math.round(delay / 1000)} s`);
    this.timer = setTimeout(() => {
      if (gen === this.generation) void this.open(gen, true);
    }, delay);
  }

  /**
   * A batch of lines (one event). Lines are remembered in bulk, not one by one: at 10,000
   * lines/s per-line bookkeeping is what keeps a page busy.
   * @param {string[]} lines
   */
  receive(lines) {
    let fresh = lines;
    if (this.skipping) {
      // A new session starts with history: drop the part of it already on screen.
      const seen = new Set(this.recent);
      let i = 0;
      while (i < lines.length && seen.has(lines[i])) i++;
      if (i < lines.length) this.skipping = false;
      fresh = i === 0 ? lines : lines.slice(i);
    }
    if (fresh.length === 0) return;
    this.recent = fresh.length >= RECENT ? fresh.slice(-RECENT) : this.recent.concat(fresh).slice(-RECENT);
    this.hooks.onLines(fresh, this.tail);
  }
}
