// The Logs tab: a searched and filtered log session (the node does the searching and the source
// and dyno filtering), pick-lists built from what the app actually sent, severity, time format
// and wrap, pause, "N new lines", copy/permalink for a picked line, download, and empty states.

import { copyText, h } from './dom.js';
import { LogStream } from './log-stream.js';
import { headOf } from './log-line.js';
import { LogView, MAX_LINES } from './log-view.js';

const STATE_TEXT = { connecting: 'connecting…', live: '● live', reconnecting: 'reconnecting…', ended: 'stream ended', stopped: '' };
const HISTORY = 200; // lines replayed unsearched; a search looks at all the history keeps (1,500)

/**
 * @template {HTMLElement} T
 * @param {string} id
 */
const $ = (id) => /** @type {T} */ (/** @type {unknown} */ (document.getElementById(id)));

export class LogsPanel {
  /**
   * @param {{key: () => string | null, onRefused: () => void}} hooks
   * @param {import('./rate-chart.js').RateChart} chart  counts the tail this panel's one stream receives
   */
  constructor(hooks, chart) {
    this.chart = chart;
    this.app = '';
    this.streamState = 'stopped';
    this.streamDetail = '';
    /** @type {{source: string, dyno: string, search: string}} */
    this.filter = { source: '', dyno: '', search: '' };
    /** @type {Set<string>} */ this.sources = new Set();
    /** @type {Set<string>} */ this.dynos = new Set();
    /** @type {{at: string, q: string} | null} a permalink's line, selected once it arrives */
    this.target = null;
    /** @type {import('./log-view.js').ViewInfo | null} */
    this.lastInfo = null;
    this.box = $('log');
    this.view = new LogView(this.box, (info) => this.changed(info));
    this.stream = new LogStream(
      {
        key: hooks.key,
        onRefused: hooks.onRefused,
        onLines: (lines, tail) => {
          if (tail) this.chart.count(lines);
          this.discover(lines);
          this.view.add(lines);
          if (this.target) this.seekTarget();
        },
        onCounts: (bySource) => this.chart.add(bySource),
        onState: (state, detail) => {
          this.streamState = state;
          this.streamDetail = detail;
          this.showState();
        },
      },
      { priority: true },
    );
    this.wire();
  }

  wire() {
    $('search-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.restart();
    });
    for (const id of ['f-source', 'f-dyno']) $(id).addEventListener('change', () => this.restart());
    $('f-sev').addEventListener('change', () => {
      this.box.dataset.min = /** @type {HTMLSelectElement} */ ($('f-sev')).value;
      this.changed(null);
    });
    $('f-time').addEventListener('change', () => this.view.setStyle({ utc: /** @type {HTMLSelectElement} */ ($('f-time')).value === 'utc' }));
    $('pause').addEventListener('click', () => this.setPaused($('pause').getAttribute('aria-pressed') !== 'true'));
    $('wrap').addEventListener('click', () => {
      const on = $('wrap').getAttribute('aria-pressed') !== 'true';
      $('wrap').setAttribute('aria-pressed', String(on));
      this.box.classList.toggle('wrap', on);
    });
    $('clear').addEventListener('click', () => this.view.clear());
    $('jump').addEventListener('click', () => this.view.jumpToEnd());
    $('download').addEventListener('click', () => this.download());
    $('copy-line').addEventListener('click', async () => {
      const p = this.view.selectedLine();
      if (p) $('sel-status').textContent = (await copyText(p.raw)) ? 'Line copied.' : 'Copy refused: select the text above.';
    });
    $('link-line').addEventListener('click', async () => {
      const url = this.permalink();
      if (url) $('sel-status').textContent = (await copyText(url)) ? 'Link copied.' : url;
    });
  }

  /**
   * Opens `app`'s logs; `target` (from a permalink) searches for that line and selects it.
   * @param {string} app
   * @param {{at: string, q: string} | null} target
   */
  start(app, target = null) {
    if (app !== this.app) {
      this.sources.clear();
      this.dynos.clear();
      this.fillPicks();
    }
    this.app = app;
    this.target = target;
    /** @type {HTMLInputElement} */ ($('f-search')).value = target ? target.q : '';
    /** @type {HTMLSelectElement} */ ($('f-source')).value = '';
    /** @type {HTMLSelectElement} */ ($('f-dyno')).value = '';
    this.setPaused(false);
    this.restart(false);
  }

  stop() {
    this.stream.stop();
    this.app = '';
  }

  /** A new session with what the toolbar says now. */
  restart(announce = true) {
    if (this.app === '') return;
    const search = /** @type {HTMLInputElement} */ ($('f-search')).value.trim();
    const source = /** @type {HTMLSelectElement} */ ($('f-source')).value;
    const dyno = /** @type {HTMLSelectElement} */ ($('f-dyno')).value;
    this.filter = { source, dyno, search };
    this.view.clear();
    this.view.setStyle({ needle: search });
    const parts = [search && `“${search}”`, source && `source ${source}`, dyno && `dyno ${dyno}`].filter(Boolean);
    if (announce) this.view.note(parts.length ? `— searching the history and the live tail for ${parts.join(', ')} —` : '— all lines —');
    this.stream.lines = search ? 1500 : HISTORY;
    this.stream.start(this.app, this.filter);
  }

  /** @param {boolean} on */
  setPaused(on) {
    const b = $('pause');
    b.setAttribute('aria-pressed', String(on));
    b.textContent = on ? 'Resume' : 'Pause';
    this.view.setPaused(on);
    this.showState();
  }

  /** The pill says what is true: paused wins over live, and a stream being retried says so. */
  showState() {
    const s = $('stream-state');
    const paused = this.view.paused && (this.streamState === 'live' || this.streamState === 'connecting');
    s.dataset.state = paused ? 'paused' : this.streamState;
    s.textContent = paused
      ? '❚❚ paused'
      : this.streamState === 'stopped'
        ? this.streamDetail
        : `${STATE_TEXT[/** @type {keyof typeof STATE_TEXT} */ (this.streamState)]}${this.streamDetail && this.streamState !== 'live' ? ` — ${this.streamDetail}` : ''}`;
  }

  /** Pick-lists from what the app sent (kept while a filter narrows the stream). @param {string[]} lines */
  discover(lines) {
    let grew = false;
    for (const line of lines) {
      const head = headOf(line);
      if (!head) continue;
      const { source, dyno } = head;
      if (source && !this.sources.has(source) && this.sources.size < 50) {
        this.sources.add(source);
        grew = true;
      }
      if (dyno && !this.dynos.has(dyno) && this.dynos.size < 200) {
        this.dynos.add(dyno);
        const type = dyno.split('.', 1)[0];
        if (type !== dyno) this.dynos.add(type);
        grew = true;
      }
    }
    if (grew) this.fillPicks();
  }

  fillPicks() {
    const fill = (/** @type {string} */ id, /** @type {string} */ all, /** @type {Set<string>} */ set) => {
      const sel = /** @type {HTMLSelectElement} */ ($(id));
      const keep = sel.value;
      sel.replaceChildren(h('option', { value: '' }, all), ...[...set].sort().map((v) => h('option', { value: v }, v)));
      sel.value = set.has(keep) ? keep : '';
    };
    fill('f-source', 'all sources', this.sources);
    fill('f-dyno', 'all dynos', this.dynos);
  }

  seekTarget() {
    const t = this.target;
    if (t && this.view.selectWhere((p) => p.time === t.at && p.msg.startsWith(t.q))) this.target = null;
  }

  permalink() {
    const p = this.view.selectedLine();
    if (!p || !p.time) return '';
    const q = p.msg.slice(0, 120);
    return `${location.origin}${location.pathname}#/apps/${encodeURIComponent(this.app)}/logs?at=${encodeURIComponent(p.time)}&q=${encodeURIComponent(q)}`;
  }

  download() {
    const text = this.view.text(Number(this.box.dataset.min ?? 7));
    const a = /** @type {HTMLAnchorElement} */ (h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/plain' })), download: `${this.app}-logs.txt` }));
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  /** @param {import('./log-view.js').ViewInfo | null} info */
  changed(info) {
    const i = info ?? this.lastInfo;
    if (!i) return;
    this.lastInfo = i;
    $('held').textContent = i.held > 0 ? `Paused: ${i.held.toLocaleString('en-US')} new lines held${i.skipped ? `, ${i.skipped} skipped` : ''} (at most ${MAX_LINES.toLocaleString('en-US')}).` : '';
    const jump = $('jump');
    jump.hidden = i.following;
    jump.textContent = i.unseen > 0 ? `${i.unseen.toLocaleString('en-US')} new lines ↓` : 'Jump to latest ↓';
    this.box.dataset.kept = String(i.lines);
    this.showEmpty(i.lines);
    this.showState();
    const sel = i.selected;
    $('line-actions').hidden = sel === null;
    if (sel) $('sel-text').textContent = sel.raw;
  }

  /** @param {number} lines */
  showEmpty(lines) {
    const empty = $('log-empty');
    const visible = lines > 0 && this.box.querySelector(`.line:not(.note)${this.hiddenSeverities()}`) !== null;
    empty.hidden = visible || this.view.paused;
    if (empty.hidden) return;
    const f = this.filter;
    empty.replaceChildren(
      ...(lines > 0
        ? [h('p', {}, 'No line on screen is at the severity picked. Pick “all” under Severity to see them.')]
        : f.search || f.source || f.dyno
          ? [h('p', {}, `No line in the history matches${f.search ? ` “${f.search}”` : ''}${f.source ? ` from ${f.source}` : ''}${f.dyno ? ` on ${f.dyno}` : ''}. New matching lines will show up here as they arrive.`)]
          : [
              h('p', {}, 'No lines yet. Lines this app sends show up here as they arrive.'),
              h('p', { class: 'help' }, 'Create a log token on the Tokens tab; it shows the curl command that sends a line.'),
            ]),
    );
  }

  hiddenSeverities() {
    const min = Number(this.box.dataset.min ?? 7);
    return min >= 7 ? '' : `:not(${[...Array(7 - min).keys()].map((i) => `[data-sev="${min + 1 + i}"]`).join(',')})`;
  }
}
