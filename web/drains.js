// An app's drains: add, test (the result inline), remove, and each drain's health polled every
// few seconds into a chart of delivered and dropped per second and queued lines, so a drain
// falling behind shows at a glance. When the node can't be reached the health says so instead
// of repeating the last state it read.

import { ApiError, call, redactUrl, seg } from './api.js';
import { confirmButton, h, message, num } from './dom.js';
import { drawLines } from './svg-chart.js';

export const POLL_MS = 3000;
const KEEP = 60; // samples per drain (3 minutes at the default poll)

/** @typedef {{t: number, delivered: number, dropped: number, queued: number, queuedBytes: number | null}} Sample */

export class DrainsPanel {
  /**
   * @param {{list: HTMLElement, form: HTMLFormElement, input: HTMLInputElement, msg: HTMLElement}} els
   * @param {{key: () => string | null, failed: (err: unknown) => void}} hooks
   */
  constructor(els, hooks) {
    this.els = els;
    this.hooks = hooks;
    this.app = '';
    /** @type {Map<string, Sample[]>} */
    this.series = new Map();
    /** @type {Map<string, {el: HTMLElement, pill: HTMLElement, behind: HTMLElement, stats: HTMLElement, error: HTMLElement, chart: HTMLElement}>} */
    this.cards = new Map();
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
    /** @type {ReturnType<typeof setTimeout>[]} */
    this.early = [];
    this.lastOk = 0;
    els.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.add();
    });
  }

  /** @param {string} app */
  start(app) {
    this.stop();
    this.app = app;
    this.series.clear();
    this.cards.clear();
    this.els.list.replaceChildren();
    this.els.msg.textContent = 'Reading drains…';
    void this.poll();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    // Two early reads, 1 s apart: the chart needs three samples, and a person who just opened
    // the view should not wait 6 s for it. Rates use the real time between samples.
    this.early = [1000, 2000].map((ms) => setTimeout(() => void this.poll(), ms));
  }

  stop() {
    clearInterval(this.timer);
    for (const t of this.early) clearTimeout(t);
    this.early = [];
    this.app = '';
  }

  async add() {
    const key = this.hooks.key();
    const url = this.els.input.value.trim();
    if (key === null || url === '' || this.app === '') return;
    try {
      await call(key, 'POST', `/apps/${seg(this.app)}/log-drains`, { url });
      this.els.input.value = '';
      this.els.msg.textContent = 'Drain added.';
      await this.poll();
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'refused') return this.hooks.failed(err);
      this.els.msg.textContent = `Couldn't add the drain: ${message(err)}`;
    }
  }

  async poll() {
    const key = this.hooks.key();
    const app = this.app;
    if (key === null || app === '') return;
    /** @type {any[]} */
    let drains;
    try {
      // Every drain with its health in one answer: a drain removed meanwhile is simply not listed.
      drains = await call(key, 'GET', `/apps/${seg(app)}/log-drains?health=1`);
    } catch (err) {
      if (app !== this.app) return;
      if (err instanceof ApiError && err.kind === 'refused') return this.hooks.failed(err);
      this.unreachable(err);
      return;
    }
    if (app !== this.app) return;
    this.lastOk = Date.now();
    const now = Date.now();
    for (const d of drains) {
      const h = d.health;
      if (!h) continue;
      const s = this.series.get(d.id) ?? [];
      const qb = typeof h.queued_bytes === 'number' ? h.queued_bytes : null;
      s.push({ t: now, delivered: Number(h.delivered) || 0, dropped: Number(h.dropped) || 0, queued: Number(h.queued_lines ?? h.queued) || 0, queuedBytes: qb });
      if (s.length > KEEP) s.shift();
      this.series.set(d.id, s);
    }
    this.els.msg.textContent = drains.length === 0 ? 'No drains yet: add a syslog:// or https:// URL above to forward every line of this app.' : '';
    this.render(drains);
  }

  /** The node is out of reach: say so on every drain rather than keep showing stale states. @param {unknown} err */
  unreachable(err) {
    const since = this.lastOk ? ` Last read at ${new Date(this.lastOk).toLocaleTimeString()}.` : '';
    this.els.msg.textContent = `Can't read the drains right now (${message(err)}); their state is unknown.${since}`;
    for (const pill of this.els.list.querySelectorAll('.pill')) {
      pill.className = 'pill unknown';
      pill.textContent = 'unknown';
    }
  }

  /**
   * Cards are built once per drain and then updated in place, so a poll never takes focus away
   * or resets a half-confirmed Remove.
   * @param {any[]} drains
   */
  render(drains) {
    const ids = new Set(drains.map((d) => String(d.id)));
    for (const [id, c] of this.cards) {
      if (!ids.has(id)) {
        c.el.remove();
        this.cards.delete(id);
      }
    }
    for (const d of drains) {
      const id = String(d.id);
      let c = this.cards.get(id);
      if (!c) {
        c = this.card(d);
        this.cards.set(id, c);
      }
      this.els.list.append(c.el); // in the API's order; moving an element keeps its focus
      this.update(c, d);
    }
  }

  /** @param {any} d */
  card(d) {
    const id = String(d.id);
    const result = h('p', { class: 'test-result', role: 'status' });
    const { pill, stats, error } = healthParts();
    const behind = h('span', { class: 'pill behind', hidden: true });
    const chart = h('div', { class: 'chart-host' });
    const el = h(
      'article',
      { class: 'card drain', 'data-drain': id },
      h('h4', { class: 'url' }, redactUrl(String(d.url))),
      h('p', { class: 'row' }, pill, behind, d.addon ? h('span', { class: 'help' }, `from add-on ${d.addon.name}`) : null),
      stats,
      error,
      chart,
      h(
        'p',
        { class: 'row actions' },
        h('button', { type: 'button', class: 'small', onclick: () => void this.test(id, result) }, 'Send a test line'),
        d.addon ? null : confirmButton('Remove', 'Remove this drain', () => this.remove(id)),
      ),
      result,
    );
    return { el, pill, behind, stats, error, chart };
  }

  /**
   * @param {{el: HTMLElement, pill: HTMLElement, behind: HTMLElement, stats: HTMLElement, error: HTMLElement, chart: HTMLElement}} c
   * @param {any} d
   */
  update(c, d) {
    const hl = d.health;
    showHealth(c, hl, typeof hl?.queued_bytes === 'number' ? [['Queued bytes', hl.queued_bytes, 'queued_bytes']] : []);
    const s = this.series.get(String(d.id)) ?? [];
    const behind = fallingBehind(s);
    c.behind.hidden = behind === '';
    c.behind.textContent = behind;
    c.chart.replaceChildren(s.length >= 3 ? drainChart(s) : h('p', { class: 'help' }, 'The chart fills in as health is read every few seconds.'));
  }

  /**
   * @param {string} id
   * @param {HTMLElement} out
   */
  async test(id, out) {
    const key = this.hooks.key();
    if (key === null) return;
    out.className = 'test-result';
    out.textContent = 'Testing…';
    try {
      const r = await call(key, 'POST', `/apps/${seg(this.app)}/log-drains/${seg(id)}/actions/test`);
      const bits = [r.connected ? 'connected' : 'not connected', r.tls ? (r.tls.verified ? 'TLS verified' : 'TLS not verified') : null, r.status ? `HTTP ${r.status}` : null, `${r.duration_ms} ms`].filter(Boolean);
      out.className = `test-result ${r.ok ? 'ok' : 'bad'}`;
      out.textContent = r.ok ? `Test line delivered: ${bits.join(', ')}.` : `Test failed: ${r.error ?? 'no answer'} (${bits.join(', ')}).`;
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'refused') return this.hooks.failed(err);
      out.className = 'test-result bad';
      out.textContent = `Couldn't test: ${message(err)}`;
    }
  }

  /** @param {string} id */
  async remove(id) {
    const key = this.hooks.key();
    if (key === null) return;
    try {
      await call(key, 'DELETE', `/apps/${seg(this.app)}/log-drains/${seg(id)}`);
      this.series.delete(id);
      this.els.msg.textContent = 'Drain removed.';
      await this.poll();
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'refused') return this.hooks.failed(err);
      this.els.msg.textContent = `Couldn't remove the drain: ${message(err)}`;
    }
  }
}

/** A drain's state pill, counters and last error, built once per card and updated in place. */
export function healthParts() {
  return {
    pill: h('span', { class: 'pill unknown' }, 'unknown'),
    stats: h('dl', { class: 'stats' }),
    error: h('p', { class: 'error-text', hidden: true }),
  };
}

/**
 * Shows a drain's health (null: unknown) in its parts, with any extra counters after the usual three.
 * @param {{pill: HTMLElement, stats: HTMLElement, error: HTMLElement}} c
 * @param {any} hl
 * @param {[string, unknown, string][]} [extra]  label, value, data-stat name
 */
export function showHealth(c, hl, extra = []) {
  const state = hl && typeof hl.state === 'string' ? hl.state : 'unknown';
  c.pill.className = `pill ${state.replace(/[^a-z]/g, '')}`;
  c.pill.textContent = state;
  /** @type {[string, unknown, string][]} */
  const rows = [['Delivered', hl?.delivered, 'delivered'], ['Dropped', hl?.dropped, 'dropped'], ['Queued', hl?.queued_lines ?? hl?.queued, 'queued'], ...extra];
  c.stats.replaceChildren(...rows.map(([label, v, name]) => h('div', {}, h('dt', {}, label), h('dd', { class: 'num', 'data-stat': name }, num(v)))));
  c.error.hidden = !hl?.last_error;
  c.error.textContent = hl?.last_error ? `Last error: ${hl.last_error}${hl.last_error_at ? ` (${new Date(hl.last_error_at).toLocaleTimeString()})` : ''}` : '';
}

/** '' or why the drain looks behind: lines dropped since the last read, or a queue that keeps growing. @param {Sample[]} s */
export function fallingBehind(s) {
  if (s.length < 2) return '';
  const [a, b] = [s[s.length - 2], s[s.length - 1]];
  if (b.dropped > a.dropped) return 'dropping lines';
  if (s.length >= 3 && b.queued > a.queued && a.queued > s[s.length - 3].queued) return 'falling behind';
  return '';
}

/** @param {Sample[]} s */
function drainChart(s) {
  const rate = (/** @type {'delivered' | 'dropped'} */ k) =>
    s.slice(1).map((p, i) => Math.max(0, (p[k] - s[i][k]) / Math.max(0.001, (p.t - s[i].t) / 1000)));
  const series = [
    { name: 'delivered/s', colour: 2, points: rate('delivered') },
    { name: 'dropped/s', colour: 3, points: rate('dropped') },
    { name: 'queued', colour: 1, points: s.slice(1).map((p) => p.queued), dashed: true },
  ];
  const secs = Math.round((s[s.length - 1].t - s[0].t) / 1000);
  return h(
    'figure',
    { class: 'drain-chart' },
    drawLines(series, { label: `Delivered and dropped per second, and queued lines, over the last ${secs} seconds`, xLabels: [`${secs} s ago`, 'now'] }),
    h('figcaption', { class: 'keys' }, h('span', { class: 'key s2' }, 'delivered/s'), h('span', { class: 'key s3' }, 'dropped/s'), h('span', { class: 'key s1 dashed' }, 'queued lines')),
  );
}
