// One session line (`<PRI>TIME SOURCE[DYNO]: MSG`) parsed and drawn: the time in one format (UTC
// or local), the severity from PRI as a label and a colour, `source[dyno]:` coloured by dyno type
// as `sluice logs` colours it (src/cli/colors.ts), the message as text with search matches marked.

// ANSI colour numbers, as the CLI picks them; console.css maps each `c<N>` class to a colour.
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];
/** @type {Record<string, number>} */
const FIXED = { router: 34, web: 32, api: 93, logplex: 91, run: 96 };

/** Syslog severities 0–7, as short fixed-width labels. */
export const SEVERITIES = ['EMRG', 'ALRT', 'CRIT', 'ERR', 'WARN', 'NOTE', 'INFO', 'DEBG'];

/** @param {string} type */
export function colourFor(type) {
  const fixed = FIXED[type];
  if (fixed !== undefined) return fixed;
  let h = 0;
  for (let i = 0; i < type.length; i++) h = (h * 31 + type.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
}

/**
 * @typedef {{raw: string, sev: number, time: string, ms: number, header: string, source: string,
 *   dyno: string, msg: string}} Parsed
 */

/**
 * Splits a line. `raw` is the line without `<PRI>` (as `sluice logs` prints it); `sev` is -1 when
 * the line carried no PRI (a continuation of a multi-line message); `ms` is NaN for an unreadable
 * or missing (`-`) timestamp; `dyno` is '' when the line has no `[PROCID]`.
 * @param {string} line
 * @returns {Parsed}
 */
export function parseLine(line) {
  let sev = -1;
  let raw = line;
  const pri = /^<(\d{1,3})>/.exec(line);
  if (pri) {
    sev = Number(pri[1]) % 8;
    raw = line.slice(pri[0].length);
  }
  const space = raw.indexOf(' ');
  const colon = space < 0 ? -1 : raw.indexOf(': ', space);
  if (colon < 0) return { raw, sev, time: '', ms: NaN, header: '', source: '', dyno: '', msg: raw };
  const time = raw.slice(0, space);
  const header = raw.slice(space + 1, colon + 1);
  const open = header.indexOf('[');
  const hasDyno = open >= 0 && header.endsWith(']:');
  return {
    raw,
    sev,
    time,
    ms: Date.parse(time),
    header,
    source: hasDyno ? header.slice(0, open) : header.slice(0, -1),
    dyno: hasDyno ? header.slice(open + 1, -2) : '',
    msg: raw.slice(colon + 2),
  };
}

/**
 * A line's source and dyno without a full parse (this runs for every line at any rate); null for
 * a continuation of a multi-line message (the session is read with `priority`: a header line
 * starts with `<PRI>`, a continuation does not).
 * @param {string} line
 * @returns {{source: string, dyno: string} | null}
 */
export function headOf(line) {
  if (line.charCodeAt(0) !== 60 /* < */) return null;
  const sp = line.indexOf(' ');
  const colon = sp < 0 ? -1 : line.indexOf(': ', sp);
  if (colon < 0 || colon - sp > 200) return null;
  const head = line.slice(sp + 1, colon);
  const open = head.indexOf('[');
  if (open < 0) return { source: head, dyno: '' };
  return { source: head.slice(0, open), dyno: head.endsWith(']') ? head.slice(open + 1, -1) : '' };
}

const pad = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0');

/**
 * Every timestamp in one shape, whatever its sender wrote: `2026-01-01 12:00:00.123Z` (UTC) or
 * `2026-01-01 13:00:00.123` (local), so columns line up. Unreadable times are shown as sent.
 * @param {number} ms
 * @param {string} sent
 * @param {boolean} utc
 */
export function formatTime(ms, sent, utc) {
  if (Number.isNaN(ms)) return sent.padEnd(24).slice(0, Math.max(24, sent.length));
  const d = new Date(ms);
  if (utc) return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 23)}Z`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)} `;
}

/**
 * Appends `text` to `parent`, each case-insensitive occurrence of `needle` in a <mark>.
 * @param {HTMLElement} parent
 * @param {string} text
 * @param {string} needle  already lower-cased; '' marks nothing
 */
export function appendMarked(parent, text, needle) {
  if (needle === '') {
    parent.append(text);
    return;
  }
  const lower = text.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, at)) {
    if (i > at) parent.append(text.slice(at, i));
    const m = parent.ownerDocument.createElement('mark');
    m.textContent = text.slice(i, i + needle.length);
    parent.append(m);
    at = i + needle.length;
  }
  if (at < text.length) parent.append(text.slice(at));
}

/**
 * @param {Parsed} p
 * @param {Document} doc
 * @param {{utc: boolean, needle: string}} opts
 * @returns {HTMLElement}
 */
export function renderLine(p, doc, opts) {
  const row = doc.createElement('div');
  row.className = 'line';
  const sev = p.sev < 0 ? 6 : p.sev;
  row.dataset.sev = String(sev);
  const time = doc.createElement('span');
  time.className = 'time';
  time.textContent = p.time ? formatTime(p.ms, p.time, opts.utc) : '';
  const label = doc.createElement('span');
  label.className = 'sev';
  label.textContent = p.sev < 0 ? '' : SEVERITIES[sev];
  const body = doc.createElement('span');
  body.className = 'body';
  if (p.header) {
    const head = doc.createElement('span');
    // Like the CLI, a line without a dyno (`app: …`) keeps the plain colour.
    head.className = p.dyno ? `head c${colourFor(p.dyno.split('.', 1)[0])}` : 'head';
    appendMarked(head, p.header, opts.needle);
    body.append(head, ' ');
  }
  appendMarked(body, p.msg, opts.needle);
  row.append(time, label, body);
  return row;
}
