// One session line (`TIME SOURCE[DYNO]: MSG`) as DOM: the time dimmed, `source[dyno]:` coloured by
// dyno type with the same choice as `sluice logs` (src/cli/colors.ts), the message as plain text.

// ANSI colour numbers, as the CLI picks them; console.css maps each `c<N>` class to a colour.
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];
/** @type {Record<string, number>} */
const FIXED = { router: 34, web: 32, api: 93, logplex: 91, run: 96 };

/** @param {string} type */
export function colourFor(type) {
  const fixed = FIXED[type];
  if (fixed !== undefined) return fixed;
  let h = 0;
  for (let i = 0; i < type.length; i++) h = (h * 31 + type.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
}

/**
 * Splits a line; `dyno` is '' when the line has no `[PROCID]`.
 * @param {string} line
 * @returns {{time: string, header: string, dyno: string, msg: string} | null}
 */
export function parseLine(line) {
  const space = line.indexOf(' ');
  if (space < 0) return null;
  const colon = line.indexOf(': ', space);
  if (colon < 0) return null;
  const header = line.slice(space + 1, colon + 1);
  const open = header.indexOf('[');
  const dyno = open >= 0 && header.endsWith(']:') ? header.slice(open + 1, -2) : '';
  return { time: line.slice(0, space), header, dyno, msg: line.slice(colon + 2) };
}

/**
 * @param {string} line
 * @param {Document} doc
 * @returns {HTMLElement}
 */
export function renderLine(line, doc) {
  const row = doc.createElement('div');
  row.className = 'line';
  const p = parseLine(line);
  if (!p) {
    row.textContent = line;
    return row;
  }
  const time = doc.createElement('span');
  time.className = 'time';
  time.textContent = p.time;
  const header = doc.createElement('span');
  // Like the CLI, a line without a dyno (`app: …`) keeps the plain colour.
  header.className = p.dyno ? `head c${colourFor(p.dyno.split('.', 1)[0])}` : 'head';
  header.textContent = p.header;
  row.dataset.dyno = p.dyno;
  row.append(time, ' ', header, ' ', p.msg);
  return row;
}
