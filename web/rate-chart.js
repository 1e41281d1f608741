// The app's lines per second by source, live: counted per second of arrival in the browser from
// the Logs view's one stream (its tail only, not the history it replays), plus the tail lines the
// view's search or filter left out, which the node counts by source (`event: counts`), so the
// chart shows the whole app whatever the view is searching. Drawn as an SVG line per source over
// the last minute, with exact counts in a table.

import { h, num } from './dom.js';
import { headOf } from './log-line.js';
import { drawLines } from './svg-chart.js';

const WINDOW_S = 60;

export class RateChart {
  /** @param {HTMLElement} host  where the chart and its table go */
  constructor(host) {
    this.host = host;
    /** @type {Map<string, {total: number, perSecond: Map<number, number>}>} */
    this.sources = new Map();
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
  }

  /** Starts counting afresh (the Logs view of an app was opened). */
  start() {
    this.stop();
    this.sources.clear();
    this.timer = setInterval(() => this.draw(), 1000);
    this.draw();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Tail lines the Logs view received. @param {string[]} lines */
  count(lines) {
    if (this.timer === undefined) return;
    /** @type {Record<string, number>} */
    const by = {};
    for (const line of lines) {
      const head = headOf(line);
      if (head) by[head.source] = (by[head.source] ?? 0) + 1; // continuations are part of their line
    }
    this.add(by);
  }

  /** Lines by source, arrived now. @param {Record<string, number>} bySource */
  add(bySource) {
    if (this.timer === undefined) return;
    const sec = Math.floor(Date.now() / 1000);
    for (const [source, n] of Object.entries(bySource)) {
      if (typeof n !== 'number' || !(n > 0)) continue;
      let s = this.sources.get(source);
      if (!s) this.sources.set(source, (s = { total: 0, perSecond: new Map() }));
      s.total += n;
      s.perSecond.set(sec, (s.perSecond.get(sec) ?? 0) + n);
    }
  }

  draw() {
    const now = Math.floor(Date.now() / 1000);
    const from = now - WINDOW_S + 1;
    const names = [...this.sources.keys()].sort();
    const series = names.map((name, i) => {
      const s = /** @type {{total: number, perSecond: Map<number, number>}} */ (this.sources.get(name));
      for (const t of s.perSecond.keys()) if (t < from) s.perSecond.delete(t);
      const points = [];
      for (let t = from; t <= now; t++) points.push(s.perSecond.get(t) ?? 0);
      return { name, colour: i, points, total: s.total, minute: points.reduce((a, b) => a + b, 0), peak: Math.max(...points) };
    });
    if (series.length === 0) {
      this.host.replaceChildren(
        h('p', { class: 'help empty' }, 'No lines since this chart opened. Lines the app sends now are counted here, per second, by source.'),
      );
      return;
    }
    const svg = drawLines(series, { label: `Lines per second by source over the last ${WINDOW_S} seconds`, xLabels: [`${WINDOW_S} s ago`, 'now'] });
    const table = h(
      'table',
      { class: 'legend', id: 'rate-legend' },
      h('caption', { class: 'sr-only' }, 'Lines by source'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Source'), h('th', { scope: 'col' }, 'Last minute'), h('th', { scope: 'col' }, 'Peak /s'), h('th', { scope: 'col' }, 'Since opened'))),
      h(
        'tbody',
        {},
        ...series.map((s) =>
          h(
            'tr',
            { 'data-source': s.name },
            h('th', { scope: 'row' }, h('span', { class: `swatch s${s.colour % 6}` }), s.name),
            h('td', { class: 'num', 'data-minute': s.minute }, num(s.minute)),
            h('td', { class: 'num' }, num(s.peak)),
            h('td', { class: 'num', 'data-total': s.total }, num(s.total)),
          ),
        ),
      ),
    );
    this.host.replaceChildren(svg, table);
  }
}
