// An app's drains (with the health each one reports) and add-ons, as read from the Platform API.

import { ApiError, call, redactUrl, seg } from './api.js';

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function el(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from index.html`);
  return e;
}

/**
 * @param {string} tag
 * @param {string} text
 * @param {string} [cls]
 */
function cell(tag, text, cls) {
  const c = document.createElement(tag);
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
}

/** @param {unknown} n */
const num = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');

/**
 * Fills both panels; errors other than a refused key are shown in the panel they belong to.
 * @param {string} key
 * @param {string} app
 * @param {() => boolean} current  false once another app was picked meanwhile
 */
export async function showDetails(key, app, current) {
  await Promise.all([showDrains(key, app, current), showAddons(key, app, current)]);
}

/**
 * @param {string} key
 * @param {string} app
 * @param {() => boolean} current
 */
async function showDrains(key, app, current) {
  const msg = el('drains-msg');
  const table = el('drains');
  const body = /** @type {HTMLElement} */ (table.querySelector('tbody'));
  let drains;
  try {
    /** @type {any[]} */
    const list = await call(key, 'GET', `/apps/${seg(app)}/log-drains`);
    // Health is only on the single-drain route; ask for each drain at once.
    drains = await Promise.all(
      list.map((d) => call(key, 'GET', `/apps/${seg(app)}/log-drains/${seg(String(d.id))}`).catch((err) => {
        if (err instanceof ApiError && err.kind === 'refused') throw err;
        return { ...d, health: null };
      })),
    );
  } catch (err) {
    if (!current()) return;
    if (err instanceof ApiError && err.kind === 'refused') throw err;
    table.hidden = true;
    msg.textContent = `Couldn't read the drains: ${err instanceof Error ? err.message : String(err)}`;
    return;
  }
  if (!current()) return;
  msg.textContent = drains.length === 0 ? 'No drains: this app’s lines go nowhere but its history and live tails.' : '';
  table.hidden = drains.length === 0;
  body.replaceChildren(
    ...drains.map((d) => {
      const h = d.health;
      const tr = document.createElement('tr');
      tr.dataset.drain = String(d.id);
      const state = cell('td', '');
      const stateName = h && typeof h.state === 'string' ? h.state : 'unknown';
      state.append(cell('span', stateName, `pill ${stateName.replace(/[^a-z]/g, '')}`));
      tr.append(
        cell('td', redactUrl(String(d.url)), 'url'),
        state,
        cell('td', num(h?.delivered), 'num'),
        cell('td', num(h?.dropped), 'num'),
        cell('td', num(h?.queued), 'num'),
        cell('td', h?.last_error ? `${h.last_error}${h.last_error_at ? ` (${h.last_error_at})` : ''}` : '–'),
        cell('td', d.addon ? String(d.addon.name) : '–'),
      );
      return tr;
    }),
  );
}

/**
 * @param {string} key
 * @param {string} app
 * @param {() => boolean} current
 */
async function showAddons(key, app, current) {
  const msg = el('addons-msg');
  const list = el('addons');
  /** @type {any[]} */
  let addons;
  try {
    addons = await call(key, 'GET', `/apps/${seg(app)}/addons`);
  } catch (err) {
    if (!current()) return;
    if (err instanceof ApiError && err.kind === 'refused') throw err;
    list.replaceChildren();
    msg.textContent = `Couldn't read the add-ons: ${err instanceof Error ? err.message : String(err)}`;
    return;
  }
  if (!current()) return;
  msg.textContent = addons.length === 0 ? 'No add-ons.' : '';
  list.replaceChildren(
    ...addons.map((a) => {
      const li = document.createElement('li');
      li.append(cell('strong', String(a.name)), ` — ${a.plan?.name ?? a.addon_service?.name ?? ''}`, a.state ? ` (${a.state})` : '');
      return li;
    }),
  );
}
