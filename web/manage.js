// An app's log tokens (created here, the secret shown once), add-ons (from the registered
// services' plans) and telemetry drains (only when the node has that route), through the same
// Platform API routes the CLI uses.

import { ApiError, call, seg } from './api.js';
import { confirmButton, copyText, h, message } from './dom.js';

/** @typedef {{key: () => string | null, failed: (err: unknown) => void}} Hooks */

/**
 * Runs an API call for a panel: a refused key goes to `failed`, any other error to `say`.
 * @param {Hooks} hooks
 * @param {(text: string) => void} say
 * @param {(key: string) => Promise<void>} work
 */
async function guarded(hooks, say, work) {
  const key = hooks.key();
  if (key === null) return;
  try {
    await work(key);
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'refused') hooks.failed(err);
    else say(message(err));
  }
}

/** A secret shown once, with a copy button and how to use it. @param {string} label @param {string} secret @param {string} [usage] */
export function secretBox(label, secret, usage) {
  const status = h('span', { class: 'help', role: 'status' });
  return h(
    'div',
    { class: 'secret', role: 'group', 'aria-label': label },
    h('p', {}, h('strong', {}, label), ' — shown this once; copy it now.'),
    h('code', { class: 'secret-value' }, secret),
    h('p', { class: 'row' }, h('button', { type: 'button', class: 'small', onclick: async () => (status.textContent = (await copyText(secret)) ? 'Copied.' : 'Copy refused: select the text instead.') }, 'Copy'), status),
    usage ? h('pre', { class: 'usage' }, usage) : null,
  );
}

/**
 * A panel of one app with a create form: keeps its elements, the hooks and the app it shows,
 * and sends the form's submit to `create`.
 * @template {{form: HTMLFormElement}} E
 */
class AppPanel {
  /** @param {E} els @param {Hooks} hooks */
  constructor(els, hooks) {
    this.els = els;
    this.hooks = hooks;
    this.app = '';
    els.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.create();
    });
  }

  /** @returns {Promise<void> | undefined} */
  create() {
    return undefined;
  }
}

/** @extends {AppPanel<{list: HTMLElement, form: HTMLFormElement, name: HTMLInputElement, msg: HTMLElement, created: HTMLElement}>} */
export class TokensPanel extends AppPanel {

  /** @param {string} app */
  start(app) {
    this.app = app;
    this.els.created.replaceChildren();
    return this.load();
  }

  load() {
    const app = this.app;
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't read the tokens: ${t}`), async (key) => {
      /** @type {any[]} */
      const tokens = await call(key, 'GET', `/apps/${seg(app)}/log-tokens`);
      if (app !== this.app) return;
      this.els.msg.textContent = tokens.length === 0 ? 'No log tokens: create one to send lines to this app.' : '';
      this.els.list.replaceChildren(
        ...tokens.map((t) =>
          h(
            'li',
            { class: 'card item', 'data-token': t.name },
            h('span', {}, h('strong', {}, t.name), ' ', h('code', {}, `${String(t.token).slice(0, 6)}…`)),
            h('span', { class: 'help' }, `lines get source “${t.name}”`),
            confirmButton('Remove', `Remove token ${t.name}`, () => this.remove(String(t.id))),
          ),
        ),
      );
    });
  }

  create() {
    const name = this.els.name.value.trim();
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't create the token: ${t}`), async (key) => {
      const t = await call(key, 'POST', `/apps/${seg(this.app)}/log-tokens`, { name });
      this.els.name.value = '';
      const usage =
        `curl -u token:${t.token} -H 'Content-Type: application/logplex-1' \\\n` +
        `  --data-binary '67 <190>1 2026-01-01T00:00:00+00:00 host app web.1 - - Hello from curl' \\\n` +
        `  ${location.origin}/logs`;
      this.els.created.replaceChildren(secretBox(`Log token “${t.name}”`, String(t.token), usage));
      await this.load();
    });
  }

  /** @param {string} id */
  remove(id) {
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't remove the token: ${t}`), async (key) => {
      await call(key, 'DELETE', `/apps/${seg(this.app)}/log-tokens/${seg(id)}`);
      this.els.created.replaceChildren();
      await this.load();
    });
  }
}

/** @extends {AppPanel<{list: HTMLElement, form: HTMLFormElement, plan: HTMLInputElement, name: HTMLInputElement, plans: HTMLElement, msg: HTMLElement}>} */
export class AddonsPanel extends AppPanel {

  /** @param {string} app */
  start(app) {
    this.app = app;
    return this.load();
  }

  load() {
    const app = this.app;
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't read the add-ons: ${t}`), async (key) => {
      /** @type {[any[], any[]]} */
      const [addons, services] = await Promise.all([call(key, 'GET', `/apps/${seg(app)}/addons`), call(key, 'GET', '/addon-services').catch(() => [])]);
      if (app !== this.app) return;
      this.els.plans.replaceChildren(...services.flatMap((s) => (s.plans ?? []).map((/** @type {any} */ p) => h('option', { value: p.name }))));
      this.els.msg.textContent =
        addons.length > 0 ? '' : services.length === 0 ? 'No add-ons, and no add-on service is registered on this node (POST /addon-services).' : 'No add-ons yet: pick a plan above.';
      this.els.list.replaceChildren(
        ...addons.map((a) =>
          h(
            'li',
            { class: 'card item', 'data-addon': a.name },
            h('span', {}, h('strong', {}, a.name), ` — ${a.plan?.name ?? a.addon_service?.name ?? ''}`),
            h('span', { class: `pill ${a.state === 'provisioned' ? 'delivering' : 'retrying'}` }, String(a.state ?? 'unknown')),
            confirmButton('Destroy', `Destroy ${a.name}`, () => this.destroy(String(a.name))),
          ),
        ),
      );
    });
  }

  create() {
    const plan = this.els.plan.value.trim();
    const name = this.els.name.value.trim();
    if (plan === '') return;
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't create the add-on: ${t}`), async (key) => {
      const a = await call(key, 'POST', `/apps/${seg(this.app)}/addons`, name ? { plan, name } : { plan });
      this.els.plan.value = '';
      this.els.name.value = '';
      await this.load();
      this.els.msg.textContent = `Created ${a.name}${a.provision_message ? `: ${a.provision_message}` : '.'}`;
    });
  }

  /** @param {string} name */
  destroy(name) {
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't destroy the add-on: ${t}`), async (key) => {
      await call(key, 'DELETE', `/apps/${seg(this.app)}/addons/${seg(name)}`);
      await this.load();
      this.els.msg.textContent = `Destroyed ${name}.`;
    });
  }
}

/**
 * Telemetry drains, when this node has the route (`/apps/{app}/telemetry-drains`); `available`
 * turns false on a 404 so the console hides the tab rather than show a broken panel.
 */
/** @extends {AppPanel<{list: HTMLElement, form: HTMLFormElement, url: HTMLInputElement, msg: HTMLElement}>} */
export class TelemetryPanel extends AppPanel {
  /** @type {boolean} */
  missing = false;


  /**
   * @param {string} app
   * @returns {Promise<boolean>} whether the node answers the route
   */
  async start(app) {
    this.app = app;
    const key = this.hooks.key();
    // Asked once per page: a node without the route answers 404 for every app alike.
    if (key === null || this.missing) return false;
    try {
      this.show(await call(key, 'GET', `/apps/${seg(app)}/telemetry-drains`));
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'refused') this.hooks.failed(err);
      if (err instanceof ApiError && err.status === 404) this.missing = true;
      return false;
    }
  }

  /** @param {any[]} drains */
  show(drains) {
    this.els.msg.textContent = drains.length === 0 ? 'No telemetry drains: add an OTLP endpoint URL above.' : '';
    this.els.list.replaceChildren(
      ...drains.map((d) =>
        h(
          'li',
          { class: 'card item', 'data-telemetry': String(d.id) },
          h('code', { class: 'url' }, String(d.url ?? d.endpoint ?? d.id)),
          confirmButton('Remove', 'Remove this telemetry drain', () => this.remove(String(d.id))),
        ),
      ),
    );
  }

  async reload() {
    await this.start(this.app);
  }

  create() {
    const url = this.els.url.value.trim();
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't add it: ${t}`), async (key) => {
      await call(key, 'POST', `/apps/${seg(this.app)}/telemetry-drains`, { url });
      this.els.url.value = '';
      await this.reload();
    });
  }

  /** @param {string} id */
  remove(id) {
    return guarded(this.hooks, (t) => (this.els.msg.textContent = `Couldn't remove it: ${t}`), async (key) => {
      await call(key, 'DELETE', `/apps/${seg(this.app)}/telemetry-drains/${seg(id)}`);
      await this.reload();
    });
  }
}
