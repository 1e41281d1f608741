// The console page: sign in with an API key, pick an app, watch its drains, add-ons and live logs.
// Talks only to the Platform API of the node that served it (api.js); no framework, no build step.

import { ApiError, call, storedKey, storeKey } from './api.js';
import { showDetails } from './details.js';
import { LogStream } from './log-stream.js';
import { LogView } from './log-view.js';

const DETAILS_EVERY_MS = 15_000;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
function $(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from index.html`);
  return /** @type {T} */ (e);
}

/** @type {string | null} */
let key = null;
let app = '';
/** @type {ReturnType<typeof setInterval> | undefined} */
let detailsTimer;

const view = new LogView($('log'), ({ held, skipped, following }) => {
  $('held').textContent = held > 0 ? `Paused: ${held} new lines held${skipped ? `, ${skipped} skipped` : ''}.` : '';
  $('jump').hidden = following;
});

const STATE_TEXT = { connecting: 'connecting…', live: '● live', reconnecting: 'reconnecting…', ended: 'stream ended', stopped: '' };
// `ended` carries its own "reconnecting in N s"; `reconnecting` is the browser retrying the same session.
const stream = new LogStream({
  key: () => key,
  onLines: (lines) => view.add(lines),
  onState: (state, detail) => {
    const s = $('stream-state');
    s.dataset.state = state;
    s.textContent = state === 'stopped' ? detail : `${STATE_TEXT[state]}${detail && state !== 'live' ? ` — ${detail}` : ''}`;
  },
  onRefused: () => refused(),
});

/** @param {string} text */
function banner(text) {
  const b = $('banner');
  b.textContent = text;
  b.hidden = text === '';
}

function showLogin(error = '') {
  stream.stop();
  clearInterval(detailsTimer);
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
  else banner(err instanceof Error ? err.message : String(err));
}

/** @param {string} k */
async function loadApps(k) {
  /** @type {{id: string, name: string}[]} */
  const apps = await call(k, 'GET', '/apps');
  apps.sort((a, b) => a.name.localeCompare(b.name));
  const list = $('apps-list');
  list.replaceChildren(
    ...apps.map((a) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = a.name;
      b.dataset.app = a.name;
      b.addEventListener('click', () => {
        location.hash = `#/apps/${encodeURIComponent(a.name)}`;
      });
      li.append(b);
      return li;
    }),
  );
  $('apps-empty').hidden = apps.length > 0;
  return apps;
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

function route() {
  const m = /^#\/apps\/([^/]+)$/.exec(location.hash);
  const name = m ? decodeURIComponent(m[1]) : '';
  if (key === null || name === app) return;
  select(name);
}

/** @param {string} name */
function select(name) {
  app = name;
  clearInterval(detailsTimer);
  for (const b of $('apps-list').querySelectorAll('button')) {
    if (b.dataset.app === name) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
  $('pick').hidden = name !== '';
  $('app-body').hidden = name === '';
  view.clear();
  if (name === '') {
    stream.stop();
    return;
  }
  $('app-title').textContent = name;
  /** @type {HTMLInputElement} */ ($('f-source')).value = '';
  /** @type {HTMLInputElement} */ ($('f-dyno')).value = '';
  setPaused(false);
  stream.start(name, {});
  const details = () => {
    const k = key;
    if (k !== null) showDetails(k, name, () => app === name && key === k).catch(failed);
  };
  details();
  detailsTimer = setInterval(details, DETAILS_EVERY_MS);
}

/** @param {boolean} on */
function setPaused(on) {
  const b = $('pause');
  b.setAttribute('aria-pressed', String(on));
  b.textContent = on ? 'Resume' : 'Pause';
  view.setPaused(on);
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
      $('login-error').textContent =
        err instanceof ApiError && err.kind === 'refused' ? 'That key was refused.' : err instanceof Error ? err.message : String(err);
    });
});

$('sign-out').addEventListener('click', () => {
  key = null;
  app = '';
  storeKey(null);
  view.clear();
  showLogin();
});

$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  if (app === '') return;
  const source = /** @type {HTMLInputElement} */ ($('f-source')).value.trim();
  const dyno = /** @type {HTMLInputElement} */ ($('f-dyno')).value.trim();
  view.clear();
  const parts = [source && `source=${source}`, dyno && `dyno=${dyno}`].filter(Boolean);
  view.note(parts.length ? `— new session, filtered: ${parts.join(' ')} —` : '— new session, no filter —');
  stream.start(app, { source, dyno });
});

$('pause').addEventListener('click', () => setPaused($('pause').getAttribute('aria-pressed') !== 'true'));
$('clear').addEventListener('click', () => view.clear());
$('jump').addEventListener('click', () => view.jumpToEnd());
$('apps-refresh').addEventListener('click', () => {
  if (key !== null) loadApps(key).then(() => select(app)).catch(failed);
});
$('details-refresh').addEventListener('click', () => {
  const k = key;
  const name = app;
  if (k !== null && name !== '') showDetails(k, name, () => app === name && key === k).catch(failed);
});
$('home').addEventListener('click', (e) => {
  e.preventDefault();
  history.replaceState(null, '', location.pathname);
  select('');
});
window.addEventListener('hashchange', route);
window.addEventListener('offline', () => banner('The network is down: the console will reconnect when it is back.'));
window.addEventListener('online', () => banner(''));

const saved = storedKey();
if (saved === null) showLogin();
else signIn(saved).catch((err) => (err instanceof ApiError && err.kind === 'refused' ? refused() : showLogin(err.message)));
