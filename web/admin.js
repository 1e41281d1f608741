// Apps (create; destroy after typing the name, as Heroku's dashboard asks) and API keys limited
// to some apps (created here, the key shown once). Both are the admin key's business: a limited
// key is told so instead of seeing a broken form.

import { ApiError, call, seg } from './api.js';
import { confirmButton, h, message } from './dom.js';
import { secretBox } from './manage.js';

/** @typedef {{key: () => string | null, failed: (err: unknown) => void}} Hooks */

/**
 * @param {Hooks} hooks
 * @param {HTMLElement} msg
 * @param {string} what
 * @param {(key: string) => Promise<void>} work
 */
async function run(hooks, msg, what, work) {
  const key = hooks.key();
  if (key === null) return;
  try {
    await work(key);
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'refused') return hooks.failed(err);
    msg.textContent = err instanceof ApiError && err.status === 403 ? `${what}: only the admin key may do this.` : `${what}: ${message(err)}`;
  }
}

/**
 * The "new app" form.
 * @param {{form: HTMLFormElement, name: HTMLInputElement, msg: HTMLElement}} els
 * @param {Hooks & {created: (name: string) => Promise<void>}} hooks
 */
export function wireCreateApp(els, hooks) {
  els.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = els.name.value.trim();
    els.msg.textContent = '';
    void run(hooks, els.msg, "Couldn't create the app", async (key) => {
      const app = await call(key, 'POST', '/apps', name ? { name } : {});
      els.name.value = '';
      els.msg.textContent = `Created ${app.name}.`;
      await hooks.created(String(app.name));
    });
  });
}

/**
 * Destroying the open app: the button stays disabled until the app's name is typed.
 * @param {{form: HTMLFormElement, confirm: HTMLInputElement, button: HTMLButtonElement, msg: HTMLElement}} els
 * @param {Hooks & {app: () => string, destroyed: (name: string) => Promise<void>}} hooks
 */
export function wireDestroyApp(els, hooks) {
  const sync = () => (els.button.disabled = els.confirm.value !== hooks.app() || hooks.app() === '');
  els.confirm.addEventListener('input', sync);
  els.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const app = hooks.app();
    if (els.confirm.value !== app) return;
    void run(hooks, els.msg, "Couldn't destroy the app", async (key) => {
      await call(key, 'DELETE', `/apps/${seg(app)}`);
      els.confirm.value = '';
      sync();
      await hooks.destroyed(app);
    });
  });
  return () => {
    els.confirm.value = '';
    els.msg.textContent = '';
    sync();
  };
}

export class KeysView {
  /**
   * @param {{list: HTMLElement, form: HTMLFormElement, name: HTMLInputElement, admin: HTMLInputElement, apps: HTMLElement, msg: HTMLElement, created: HTMLElement}} els
   * @param {Hooks & {appNames: () => string[]}} hooks
   */
  constructor(els, hooks) {
    this.els = els;
    this.hooks = hooks;
    els.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.create();
    });
    els.admin.addEventListener('change', () => this.els.apps.toggleAttribute('disabled', els.admin.checked));
  }

  async show() {
    this.els.created.replaceChildren();
    const names = this.hooks.appNames();
    this.els.apps.replaceChildren(
      h('legend', {}, 'Apps this key may see'),
      ...(names.length === 0
        ? [h('p', { class: 'help' }, 'No apps yet.')]
        : names.map((n, i) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'apps', value: n, id: `key-app-${i}` }), n))),
    );
    await this.load();
  }

  load() {
    return run(this.hooks, this.els.msg, "Couldn't read the API keys", async (key) => {
      /** @type {any[]} */
      const keys = await call(key, 'GET', '/api-keys');
      this.els.msg.textContent = keys.length === 0 ? 'Only the admin key exists: create a key limited to some apps for CI or a teammate.' : '';
      this.els.list.replaceChildren(
        ...keys.map((k) =>
          h(
            'li',
            { class: 'card item', 'data-key': k.name },
            h('span', {}, h('strong', {}, k.name), ' ', h('span', { class: 'help' }, k.admin ? 'admin' : `apps: ${(k.apps ?? []).join(', ')}`)),
            confirmButton('Revoke', `Revoke ${k.name}`, () => this.remove(String(k.id))),
          ),
        ),
      );
    });
  }

  create() {
    const name = this.els.name.value.trim();
    const admin = this.els.admin.checked;
    const apps = [...this.els.apps.querySelectorAll('input:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value);
    return run(this.hooks, this.els.msg, "Couldn't create the key", async (key) => {
      const k = await call(key, 'POST', '/api-keys', admin ? { name, admin: true } : { name, apps });
      this.els.name.value = '';
      await this.load();
      this.els.created.replaceChildren(secretBox(`API key “${k.name}”`, String(k.key), `export SLUICE_URL=${location.origin} SLUICE_API_KEY=${k.key}\nnpx sluice logs -a ${apps[0] ?? 'APP'} --tail`));
    });
  }

  /** @param {string} id */
  remove(id) {
    return run(this.hooks, this.els.msg, "Couldn't revoke the key", async (key) => {
      await call(key, 'DELETE', `/api-keys/${seg(id)}`);
      this.els.created.replaceChildren();
      await this.load();
    });
  }
}
