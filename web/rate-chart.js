// The app's lines per second by source, live: its own tail session (no history, no filter: the
// whole app, whatever the log view is searching), counted per second of arrival in the browser
// and drawn as an SVG line per source over the last minute, with exact counts in a table.

import { h, num } from './dom.js';
import { LogStream } from './log-stream.js';
import { parseLine } from './log-line.js';
import { drawLines } from './svg-chart.js';

const WINDOW_S = 60;

export class RateChart {
  /**
   * @param {HTMLElement} host  where the chart and its table go
   * @param {{key: () => string | null, onRefused: () => void}} hooks
   */
  constructor(host, hooks) {
    this.host = host;
    /** @type {Map<string, {total: number, perSecond: Map<number, number>}>} */
    this.sources = new Map();
    this.started = 0;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
    this.stream = new LogStream(
      { key: hooks.key, onRefused: hooks.onRefused, onLines: (lines) => this.count(lines), onState: () => {} },
      { lines: 0 },
    );
  }

  /** @param {string} app */
  start(app) {
    this.stop();
    this.sources.clear();
    this.started = Math.floor(Date.now() / 1000);
    this.stream.start(app, {});
    this.timer = setInterval(() => this.draw(), 1000);
    this.draw();
  }

  stop() {
    this.stream.stop();
    clearInterval(this.timer);
  }

  /** @param {string[]} lines */
  count(lines) {
    const sec = Math.floor(Date.now() / 1000);
    for (const line of lines) {
      const p = parseLine(line);
      if (!p.header) continue; // a continuation of a multi-line message: counted once already
      let s = this.sources.get(p.source);
      if (!s) this.sources.set(p.source, (s = { total: 0, perSecond: new Map() }));
      s.total++;
      s.perSecond.set(sec, (s.perSecond.get(sec) ?? 0) + 1);
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
