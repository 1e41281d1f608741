// The console page: sign in with an API key, pick an app, and move between its views (logs with
// a live chart, drains and telemetry drains, tokens, add-ons, settings) and the API keys view.
// Routes live in the address (`#/apps/NAME/drains`, `#/keys`), so every view has a link.

import { ApiError, call, storedKey, storeKey } from './api.js';
import { KeysView, wireCreateApp, wireDestroyApp } from './admin.js';
import { $, h, message } from './dom.js';
import { DrainsPanel } from './drains.js';
import { LogsPanel } from './logs.js';
import { AddonsPanel, TokensPanel } from './manage.js';
import { RateChart } from './rate-chart.js';
import { TelemetryPanel } from './telemetry.js';

const TABS = ['logs', 'drains', 'tokens', 'addons', 'settings'];

/** @type {string | null} */
let key = null;
let app = '';
let tab = '';
/** @type {string[]} */
let appNames = [];

const hooks = { key: () => key, failed: (/** @type {unknown} */ err) => failed(err), onRefused: () => refused() };
const rate = new RateChart($('rate'));
const logs = new LogsPanel(hooks, rate); // one stream feeds the log view and the chart
const drains = new DrainsPanel({ list: $('drains-list'), form: $('drain-form'), input: $('drain-url'), msg: $('drains-msg') }, hooks);
const tokens = new TokensPanel({ list: $('tokens-list'), form: $('token-form'), name: $('token-name'), msg: $('tokens-msg'), created: $('token-created') }, hooks);
const addons = new AddonsPanel({ list: $('addons-list'), form: $('addon-form'), plan: $('addon-plan'), name: $('addon-name'), plans: $('addon-plans'), msg: $('addons-msg') }, hooks);
const telemetry = new TelemetryPanel({ panel: $('telemetry-panel'), list: $('telemetry-list'), form: $('telemetry-form'), url: $('telemetry-url'), type: $('telemetry-type'), msg: $('telemetry-msg') }, hooks);
const keys = new KeysView(
  { list: $('keys-list'), form: $('key-form'), name: $('key-name'), admin: $('key-admin'), apps: $('key-apps'), msg: $('keys-msg'), created: $('key-created') },
  { ...hooks, appNames: () => appNames },
);
wireCreateApp({ form: $('new-app'), name: $('new-app-name'), msg: $('new-app-msg') }, {
  ...hooks,
  created: async (name) => {
    await loadApps();
    location.hash = `#/apps/${encodeURIComponent(name)}/tokens`;
  },
});
const resetDestroy = wireDestroyApp({ form: $('destroy-form'), confirm: $('destroy-confirm'), button: $('destroy'), msg: $('destroy-msg') }, {
  ...hooks,
  app: () => app,
  destroyed: async (name) => {
    await loadApps();
    location.hash = '#/';
    $('new-app-msg').textContent = `Destroyed ${name}.`;
  },
});

/** @param {string} text */
function banner(text) {
  const b = $('banner');
  b.textContent = text;
  b.hidden = text === '';
}

function stopAll() {
  logs.stop();
  rate.stop();
  drains.stop();
  telemetry.stop();
}

function showLogin(error = '') {
  stopAll();
  app = '';
  $('workspace').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = error;
  banner('');
  /** @type {HTMLInputElement} */ ($('api-key')).focus();
}

/** The key stopped working (or never did): forget it and ask again. */
function refused() {
  key = null;
  storeKey(null);
  showLogin('That key was refused. Check it and enter it again.');
}

/** @param {unknown} err */
function failed(err) {
  if (err instanceof ApiError && err.kind === 'refused') refused();
  else banner(message(err));
}

async function loadApps(k = key) {
  if (k === null) return;
  /** @type {{id: string, name: string}[]} */
  const apps = await call(k, 'GET', '/apps');
  apps.sort((a, b) => a.name.localeCompare(b.name));
  appNames = apps.map((a) => a.name);
  $('apps-list').replaceChildren(
    ...apps.map((a) => h('li', {}, h('a', { href: `#/apps/${encodeURIComponent(a.name)}`, 'data-app': a.name, class: 'app-link' }, a.name))),
  );
  $('apps-empty').hidden = apps.length > 0;
  markCurrent();
}

function markCurrent() {
  for (const a of $('apps-list').querySelectorAll('a')) {
    if (/** @type {HTMLElement} */ (a).dataset.app === app && tab !== 'keys') a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (tab === 'keys') $('keys-link').setAttribute('aria-current', 'page');
  else $('keys-link').removeAttribute('aria-current');
  for (const t of $('app-body').querySelectorAll('.tabs a')) {
    const name = /** @type {HTMLElement} */ (t).dataset.tab ?? '';
    /** @type {HTMLAnchorElement} */ (t).href = `#/apps/${encodeURIComponent(app)}/${name}`;
    if (name === tab) t.setAttribute('aria-current', 'page');
    else t.removeAttribute('aria-current');
  }
}

/** @param {string} k */
async function signIn(k) {
  await loadApps(k);
  key = k;
  storeKey(k);
  banner('');
  $('login').hidden = true;
  $('workspace').hidden = false;
  $('sign-out').hidden = false;
  route();
}

/** `#/apps/NAME[/TAB][?at=…&q=…]` or `#/keys`. */
function route() {
  if (key === null) return;
  const [path, query = ''] = location.hash.slice(1).split('?');
  if (path === '/keys') return openKeys();
  const m = /^\/apps\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  const params = new URLSearchParams(query);
  const at = params.get('at');
  const target = at ? { at, q: params.get('q') ?? '' } : null;
  openApp(m ? decodeURIComponent(m[1]) : '', m?.[2] && TABS.includes(m[2]) ? m[2] : 'logs', target);
}

function openKeys() {
  stopAll();
  app = '';
  tab = 'keys';
  $('pick').hidden = true;
  $('app-body').hidden = true;
  $('keys-view').hidden = false;
  markCurrent();
  void keys.show();
}

/**
 * @param {string} name
 * @param {string} view
 * @param {{at: string, q: string} | null} target
 */
function openApp(name, view, target) {
  const changed = name !== app || tab === 'keys';
  $('keys-view').hidden = true;
  $('pick').hidden = name !== '';
  $('app-body').hidden = name === '';
  if (name === '') {
    stopAll();
    app = '';
    tab = '';
    markCurrent();
    return;
  }
  if (changed) {
    stopAll();
    app = name;
    $('app-title').textContent = name;
    resetDestroy();
  }
  // Each management view reads afresh when it is opened: another tab or the CLI may have changed it.
  if (changed || view !== tab) {
    if (view === 'tokens') void tokens.start(name);
    if (view === 'addons') void addons.start(name);
    if (view === 'drains') void telemetry.start(name);
  }
  tab = view;
  for (const t of TABS) $(`view-${t}`).hidden = t !== view;
  // The log stream and the chart run while the Logs view is open, drain polling with Drains.
  if (view === 'logs') {
    if (changed || target || logs.app === '') {
      rate.start();
      logs.start(name, target);
    }
  } else {
    logs.stop();
    rate.stop();
  }
  if (view === 'drains') {
    if (drains.app !== name) drains.start(name);
  } else {
    drains.stop();
    telemetry.stop();
  }
  markCurrent();
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('api-key'));
  const k = input.value.trim();
  if (k === '') return;
  $('login-error').textContent = '';
  signIn(k)
    .then(() => (input.value = ''))
    .catch((err) => {
      $('login-error').textContent = err instanceof ApiError && err.kind === 'refused' ? 'That key was refused.' : message(err);
    });
});

$('sign-out').addEventListener('click', () => {
  key = null;
  storeKey(null);
  showLogin();
});

$('home').addEventListener('click', (e) => {
  e.preventDefault();
  history.replaceState(null, '', location.pathname);
  openApp('', 'logs', null);
});
window.addEventListener('hashchange', route);
window.addEventListener('offline', () => banner('The network is down: the console will reconnect when it is back.'));
window.addEventListener('online', () => banner(''));

const saved = storedKey();
if (saved === null) showLogin();
else signIn(saved).catch((err) => (err instanceof ApiError && err.kind === 'refused' ? refused() : showLogin(message(err))));
