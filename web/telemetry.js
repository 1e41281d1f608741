// Telemetry drains (OpenTelemetry out), next to the log drains: listed, added, tested and removed
// through `/telemetry-drains`, the routes `heroku telemetry` uses. A node without them answers
// 404, and then the panel stays hidden rather than show a form the API can't serve.

import { ApiError, call, redactUrl, seg } from './api.js';
import { confirmButton, h } from './dom.js';
import { AppPanel, guarded } from './manage.js';

/** @extends {AppPanel<{panel: HTMLElement, list: HTMLElement, form: HTMLFormElement, url: HTMLInputElement, type: HTMLSelectElement, msg: HTMLElement}>} */
export class TelemetryPanel extends AppPanel {
  /** @type {boolean} the node answered 404: it has no telemetry drains */
  missing = false;

  /**
   * Shows the app's telemetry drains, or hides the panel on a node without the route.
   * @param {string} app
   */
  async start(app) {
    this.app = app;
    const key = this.hooks.key();
    this.els.panel.hidden = true;
    // Asked once per page: a node without the route answers 404 for every app alike.
    if (key === null || this.missing) return;
    try {
      /** @type {any[]} */
      const drains = await call(key, 'GET', `/apps/${seg(app)}/telemetry-drains`);
      if (app !== this.app) return;
      this.els.panel.hidden = false;
      this.show(drains);
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'refused') this.hooks.failed(err);
      if (err instanceof ApiError && err.status === 404) this.missing = true;
    }
  }

  /** @param {any[]} drains */
  show(drains) {
    this.els.msg.textContent = drains.length === 0 ? 'No telemetry drains: add an OTLP endpoint to send this app’s logs as OpenTelemetry.' : '';
    this.els.list.replaceChildren(
      ...drains.map((d) => {
        const result = h('p', { class: 'test-result', role: 'status' });
        const ex = d.exporter ?? {};
        return h(
          'li',
          { class: 'card item', 'data-telemetry': String(d.id) },
          h('span', {}, h('code', { class: 'url' }, redactUrl(String(ex.endpoint ?? d.id))), ' ', h('span', { class: 'help' }, `${ex.type ?? ''} · ${(d.signals ?? []).join(', ')}`)),
          h('button', { type: 'button', class: 'small', onclick: () => void this.test(String(d.id), result) }, 'Send a test'),
          confirmButton('Remove', 'Remove this telemetry drain', () => this.remove(String(d.id))),
          result,
        );
      }),
    );
  }

  create() {
    const endpoint = this.els.url.value.trim();
    const type = this.els.type.value;
    const signals = [...this.els.form.querySelectorAll('input[name="signals"]:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value);
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't add it: ${t}`), async (key) => {
      await call(key, 'POST', '/telemetry-drains', { owner: { id: this.app, type: 'app' }, signals, exporter: { type, endpoint } });
      this.els.url.value = '';
      await this.start(this.app);
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
      await this.start(this.app);
      this.els.msg.textContent = 'Telemetry drain removed.';
    });
  }
}
