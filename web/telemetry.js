// Telemetry drains (OpenTelemetry out), next to the log drains: listed with their health (read
// again every few seconds while the Drains view is open), added, tested and removed through
// `/telemetry-drains`, the routes `heroku telemetry` uses. A node without them answers 404, and
// then the panel stays hidden rather than show a form the API can't serve.

import { ApiError, call, redactUrl, seg } from './api.js';
import { confirmButton, h, message } from './dom.js';
import { healthParts, POLL_MS, showHealth } from './drains.js';
import { AppPanel, guarded } from './manage.js';

/** @typedef {{el: HTMLElement, pill: HTMLElement, stats: HTMLElement, error: HTMLElement}} Card */

/** @extends {AppPanel<{panel: HTMLElement, list: HTMLElement, form: HTMLFormElement, url: HTMLInputElement, type: HTMLSelectElement, msg: HTMLElement}>} */
export class TelemetryPanel extends AppPanel {
  /** @type {boolean} the node answered 404: it has no telemetry drains */
  missing = false;
  /** @type {Map<string, Card>} built once per drain, so a poll never resets a half-confirmed Remove */
  cards = new Map();
  /** @type {ReturnType<typeof setInterval> | undefined} */
  timer = undefined;

  /**
   * Shows the app's telemetry drains and keeps their health fresh, or hides the panel on a node
   * without the route.
   * @param {string} app
   */
  async start(app) {
    this.stop();
    this.app = app;
    this.cards.clear();
    this.els.list.replaceChildren();
    this.els.panel.hidden = true;
    // Asked once per page: a node without the route answers 404 for every app alike.
    if (this.missing) return;
    if (await this.poll()) this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the list (health included); false when there is nothing to poll. */
  async poll() {
    const key = this.hooks.key();
    const app = this.app;
    if (key === null || app === '') return false;
    try {
      /** @type {any[]} */
      const drains = await call(key, 'GET', `/apps/${seg(app)}/telemetry-drains`);
      if (app !== this.app) return false;
      this.els.panel.hidden = false;
      this.show(drains);
      return true;
    } catch (err) {
      if (app !== this.app) return false;
      if (err instanceof ApiError && err.kind === 'refused') this.hooks.failed(err);
      else if (err instanceof ApiError && err.status === 404) this.missing = true;
      else if (!this.els.panel.hidden) {
        // Out of reach: the last state read is no longer known to be true.
        this.els.msg.textContent = `Can't read the telemetry drains right now (${message(err)}); their state is unknown.`;
        for (const c of this.cards.values()) showHealth(c, null);
        return true;
      }
      return false;
    }
  }

  /** @param {any[]} drains */
  show(drains) {
    const ids = new Set(drains.map((d) => String(d.id)));
    for (const [id, c] of this.cards) {
      if (!ids.has(id)) {
        c.el.remove();
        this.cards.delete(id);
      }
    }
    const msg = this.els.msg.textContent ?? '';
    if (drains.length === 0) this.els.msg.textContent = 'No telemetry drains: add an OTLP endpoint to send this app’s logs as OpenTelemetry.';
    else if (msg.startsWith('No telemetry drains') || msg.startsWith("Can't read")) this.els.msg.textContent = '';
    for (const d of drains) {
      const id = String(d.id);
      let c = this.cards.get(id);
      if (!c) this.cards.set(id, (c = this.card(d)));
      this.els.list.append(c.el); // in the API's order; moving an element keeps its focus
      showHealth(c, d.health, [['Dropped requests', d.health?.dropped_requests, 'dropped_requests']]);
    }
  }

  /** @param {any} d @returns {Card} */
  card(d) {
    const id = String(d.id);
    const result = h('p', { class: 'test-result', role: 'status' });
    const ex = d.exporter ?? {};
    const parts = healthParts();
    const el = h(
      'li',
      { class: 'card item', 'data-telemetry': id },
      h('h4', { class: 'url' }, redactUrl(String(ex.endpoint ?? id))),
      h('p', { class: 'row' }, parts.pill, h('span', { class: 'help' }, `${ex.type ?? ''} · ${(d.signals ?? []).join(', ')}`)),
      parts.stats,
      parts.error,
      h(
        'p',
        { class: 'row actions' },
        h('button', { type: 'button', class: 'small', onclick: () => void this.test(id, result) }, 'Send a test'),
        confirmButton('Remove', 'Remove this telemetry drain', () => this.remove(id)),
      ),
      result,
    );
    return { el, ...parts };
  }

  create() {
    const endpoint = this.els.url.value.trim();
    const type = this.els.type.value;
    const signals = [...this.els.form.querySelectorAll('input[name="signals"]:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value);
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't add it: ${t}`), async (key) => {
      await call(key, 'POST', '/telemetry-drains', { owner: { id: this.app, type: 'app' }, signals, exporter: { type, endpoint } });
      this.els.url.value = '';
      await this.poll();
      this.els.msg.textContent = 'Telemetry drain added.';
    });
  }

  /**
   * @param {string} id
   * @param {HTMLElement} out
   */
  test(id, out) {
    out.className = 'test-result';
    out.textContent = 'Testing…';
    return guarded(this.hooks, (t) => ((out.className = 'test-result bad'), (out.textContent = `Couldn't test: ${t}`)), async (key) => {
      const r = await call(key, 'POST', `/telemetry-drains/${seg(id)}/actions/test`);
      out.className = `test-result ${r.ok ? 'ok' : 'bad'}`;
      out.textContent = r.ok ? `Test delivered${r.status ? `: HTTP ${r.status}` : ''}.` : `Test failed: ${r.error ?? 'no answer'}.`;
    });
  }

  /** @param {string} id */
  remove(id) {
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't remove it: ${t}`), async (key) => {
      await call(key, 'DELETE', `/telemetry-drains/${seg(id)}`);
      await this.poll();
      this.els.msg.textContent = 'Telemetry drain removed.';
    });
  }
}
