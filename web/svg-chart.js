// A plain SVG line chart (no library): one polyline per series over equally spaced points, a y
// scale from 0 to the largest value, the extremes labelled. Sized by its viewBox, so it never
// widens the page; colours come from console.css (`.s0`…`.s5`).

const NS = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 150;
const PAD = { l: 44, r: 8, t: 10, b: 22 };

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 */
function el(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A round upper bound for the y axis (1, 2, 5 × 10^n). @param {number} max */
function niceMax(max) {
  if (max <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * @param {{name: string, colour: number, points: number[], dashed?: boolean}[]} series
 * @param {{label: string, xLabels: [string, string], unit?: string}} opts
 * @returns {SVGSVGElement}
 */
export function drawLines(series, opts) {
  const svg = /** @type {SVGSVGElement} */ (el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': opts.label }));
  const n = Math.max(2, ...series.map((s) => s.points.length));
  const top = niceMax(Math.max(0, ...series.flatMap((s) => s.points)));
  const x = (/** @type {number} */ i) => PAD.l + (i / (n - 1)) * (W - PAD.l - PAD.r);
  const y = (/** @type {number} */ v) => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);
  for (const v of [0, top / 2, top]) {
    svg.append(el('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid' }));
    const t = el('text', { x: PAD.l - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' });
    t.textContent = `${Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1)}${opts.unit ?? ''}`;
    svg.append(t);
  }
  const [left, right] = opts.xLabels;
  const l = el('text', { x: PAD.l, y: H - 6, class: 'tick' });
  l.textContent = left;
  const r = el('text', { x: W - PAD.r, y: H - 6, class: 'tick', 'text-anchor': 'end' });
  r.textContent = right;
  svg.append(l, r);
  for (const s of series) {
    const pts = s.points.map((v, i) => `${x(i + n - s.points.length).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    svg.append(el('polyline', { points: pts, class: `series s${s.colour % 6}${s.dashed ? ' dashed' : ''}`, 'data-name': s.name }));
  }
  return svg;
}
