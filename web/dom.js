// Small DOM helpers shared by the console's modules: find by id, build elements, two-step confirm.

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
export function $(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from index.html`);
  return /** @type {T} */ (e);
}

/**
 * An element with attributes (`class`, `data-*`, `aria-*`, properties like `type`) and children.
 * Text children are inserted as text, never parsed as HTML.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined | ((e: Event) => void)>} [attrs]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') e.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') e.className = String(v);
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'for' || k === 'role') e.setAttribute(k, String(v));
    else if (v === true) e.setAttribute(k, '');
    else /** @type {any} */ (e)[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** @param {unknown} err */
export const message = (err) => (err instanceof Error ? err.message : String(err));

/**
 * A button that asks once more before acting: the first press turns it into "Confirm …" with a
 * Cancel beside it; only the second press runs `action`. Keeps destructive actions one step away
 * without a modal (and works from the keyboard).
 * @param {string} label
 * @param {string} confirmLabel
 * @param {() => Promise<void> | void} action
 * @returns {HTMLElement}
 */
export function confirmButton(label, confirmLabel, action) {
  const wrap = h('span', { class: 'confirm' });
  const start = h('button', { type: 'button', class: 'small danger' }, label);
  const yes = h('button', { type: 'button', class: 'small danger solid', hidden: true }, confirmLabel);
  const no = h('button', { type: 'button', class: 'small', hidden: true }, 'Cancel');
  const show = (/** @type {boolean} */ asking) => {
    start.hidden = asking;
    yes.hidden = !asking;
    no.hidden = !asking;
    (asking ? yes : start).focus();
  };
  start.addEventListener('click', () => show(true));
  no.addEventListener('click', () => show(false));
  yes.addEventListener('click', async () => {
    /** @type {HTMLButtonElement} */ (yes).disabled = true;
    try {
      await action();
    } finally {
      /** @type {HTMLButtonElement} */ (yes).disabled = false;
    }
  });
  wrap.append(start, yes, no);
  return wrap;
}

/** @param {unknown} n */
export const num = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');

/**
 * Copies text; falls back to selecting it in a prompt-free way when the clipboard is refused.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
