// A live log view's connection: a log session (POST /apps/{app}/log-sessions) read with EventSource.
//
//   connecting ──open──▶ live ──error, browser retrying──▶ reconnecting ──open──▶ live
//        │                 │                                   │
//        └──────────── error, closed (404: session expired, node restarted) ──▶ ended
//   ended ──after a backoff (1 s … 30 s)──▶ connecting, with a new session
//
// The browser's own retries resume the same session (Last-Event-ID: no history again). A new
// session replays history (up to 100 lines on a reconnect); the lines already on screen are skipped.

import { ApiError, call, sameOrigin, seg } from './api.js';

/** @typedef {'connecting' | 'live' | 'reconnecting' | 'ended' | 'stopped'} StreamState */
/** @typedef {{source?: string, dyno?: string, search?: string}} StreamFilter */

const RECENT = 300; // lines remembered to skip history repeated by a new session

export class LogStream {
  /**
   * @param {{
   *   key: () => string | null,
   *   onLines: (lines: string[]) => void,
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
    /** @type {string[]} */
    this.recent = [];
    /** @type {Set<string>} */
    this.recentSet = new Set();
    this.skipping = false;
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
    this.recentSet.clear();
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
    const es = new EventSource(sameOrigin(String(session.logplex_url)));
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
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(this.failures++, 5));
    this.hooks.onState('ended', `${why}; reconnecting in ${Math.round(delay / 1000)} s`);
    this.timer = setTimeout(() => {
      if (gen === this.generation) void this.open(gen, true);
    }, delay);
  }

  /** @param {string[]} lines */
  receive(lines) {
    /** @type {string[]} */
    const fresh = [];
    for (const line of lines) {
      // A new session starts with history: drop the part of it already on screen.
      if (this.skipping && this.recentSet.has(line)) continue;
      this.skipping = false;
      fresh.push(line);
      this.recent.push(line);
      this.recentSet.add(line);
      if (this.recent.length > RECENT) this.recentSet.delete(/** @type {string} */ (this.recent.shift()));
    }
    if (fresh.length > 0) this.hooks.onLines(fresh);
  }
}
