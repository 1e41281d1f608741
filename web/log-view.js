// The lines on screen: appended in batches once per frame, at most MAX_LINES kept (in the DOM
// and in memory, whatever the rate), following the newest line unless the reader scrolled up
// ("N new lines"), held back while paused, one line selectable for copy and permalink.

import { parseLine, renderLine, formatTime } from './log-line.js';

/** The most lines the page keeps, shown and held together. */
export const MAX_LINES = 5000;

/** @typedef {import('./log-line.js').Parsed} Parsed */
/** @typedef {{held: number, skipped: number, following: boolean, unseen: number, lines: number, selected: Parsed | null}} ViewInfo */

export class LogView {
  /**
   * @param {HTMLElement} box   the scrolling element
   * @param {(info: ViewInfo) => void} onChange
   */
  constructor(box, onChange) {
    this.box = box;
    this.onChange = onChange;
    /** @type {Parsed[]} lines waiting for the next frame, or for resume */
    this.pending = [];
    /** @type {{p: Parsed, row: HTMLElement}[]} what is on screen, oldest first */
    this.shown = [];
    this.skipped = 0; // lines that fell out of `pending` while paused
    this.unseen = 0; // lines added while scrolled up
    this.paused = false;
    this.following = true;
    this.scheduled = false;
    this.utc = true;
    this.needle = '';
    /** @type {HTMLElement | null} */
    this.selected = null;
    box.addEventListener('scroll', () => {
      const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
      if (atEnd !== this.following) {
        this.following = atEnd;
        if (atEnd) this.unseen = 0;
        this.report();
      }
    });
    box.addEventListener('click', (e) => {
      const row = /** @type {HTMLElement} */ (e.target).closest?.('.line');
      if (row && !row.classList.contains('note')) this.select(/** @type {HTMLElement} */ (row));
    });
    box.addEventListener('keydown', (e) => this.key(e));
  }

  /** @param {string[]} lines */
  add(lines) {
    for (const l of lines) this.pending.push(parseLine(l));
    if (this.pending.length > MAX_LINES) {
      const over = this.pending.length - MAX_LINES;
      this.pending.splice(0, over);
      if (this.paused) this.skipped += over;
    }
    if (this.paused) this.report();
    else this.schedule();
  }

  /**
   * A line of the console's own (filters applied, stream restarted), set apart from log lines.
   * @param {string} text
   */
  note(text) {
    this.flush();
    const row = this.box.ownerDocument.createElement('div');
    row.className = 'line note';
    row.textContent = text;
    this.box.append(row);
    this.trim();
  }

  /** @param {boolean} on */
  setPaused(on) {
    this.paused = on;
    if (!on) {
      if (this.skipped > 0) this.note(`… ${this.skipped} lines were skipped while paused`);
      this.skipped = 0;
      this.schedule();
    }
    this.report();
  }

  /**
   * How lines are drawn: UTC or local times, and the search term to mark. Redraws what is shown.
   * @param {{utc?: boolean, needle?: string}} opts
   */
  setStyle(opts) {
    if (opts.utc !== undefined && opts.utc !== this.utc) {
      this.utc = opts.utc;
      for (const { p, row } of this.shown) {
        const t = row.querySelector('.time');
        if (t && p.time) t.textContent = formatTime(p.ms, p.time, this.utc);
      }
    }
    if (opts.needle !== undefined) this.needle = opts.needle.toLowerCase();
  }

  clear() {
    this.pending = [];
    this.shown = [];
    this.skipped = 0;
    this.unseen = 0;
    this.selected = null;
    this.box.replaceChildren();
    this.following = true;
    this.report();
  }

  jumpToEnd() {
    this.box.scrollTop = this.box.scrollHeight;
    this.following = true;
    this.unseen = 0;
    this.report();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  flush() {
    if (this.paused || this.pending.length === 0) return;
    const doc = this.box.ownerDocument;
    // More than a screenful at once (a burst): only the newest MAX_LINES can stay anyway.
    const batch = this.pending.length > MAX_LINES ? this.pending.slice(-MAX_LINES) : this.pending;
    this.pending = [];
    const frag = doc.createDocumentFragment();
    const opts = { utc: this.utc, needle: this.needle };
    for (const p of batch) {
      const row = renderLine(p, doc, opts);
      this.shown.push({ p, row });
      frag.append(row);
    }
    this.box.append(frag);
    if (!this.following) this.unseen += batch.length;
    this.trim();
  }

  /** Keeps at most MAX_LINES rows (notes included), dropping the oldest. */
  trim() {
    let extra = this.box.childElementCount - MAX_LINES;
    while (extra-- > 0) {
      const first = this.box.firstElementChild;
      if (!first) break;
      if (!first.classList.contains('note')) this.shown.shift();
      if (first === this.selected) this.selected = null;
      first.remove();
    }
    if (this.following) this.box.scrollTop = this.box.scrollHeight;
    this.report();
  }

  /** @param {HTMLElement | null} row */
  select(row) {
    this.selected?.classList.remove('selected');
    this.selected = row;
    if (row) {
      row.classList.add('selected');
      row.scrollIntoView({ block: 'nearest' });
    }
    this.report();
  }

  /** The selected line's parse, for copy and permalink. */
  selectedLine() {
    const row = this.selected;
    return row ? this.shown.find((s) => s.row === row)?.p ?? null : null;
  }

  /**
   * Selects the first line for which `pred` holds (a permalink's target); false if none is shown.
   * @param {(p: Parsed) => boolean} pred
   */
  selectWhere(pred) {
    this.flush();
    const hit = this.shown.find((s) => pred(s.p));
    if (!hit) return false;
    this.following = false;
    this.select(hit.row);
    return true;
  }

  /** Arrow keys move the selection among the visible lines; Escape clears it. @param {KeyboardEvent} e */
  key(e) {
    if (e.key === 'Escape') return this.select(null);
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const rows = [...this.box.querySelectorAll('.line:not(.note)')].filter((r) => /** @type {HTMLElement} */ (r).offsetParent !== null);
    if (rows.length === 0) return;
    const at = this.selected ? rows.indexOf(this.selected) : -1;
    const next = at < 0 ? rows.length - 1 : Math.max(0, Math.min(rows.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)));
    this.following = false;
    this.select(/** @type {HTMLElement} */ (rows[next]));
  }

  /**
   * The lines on screen at or above a severity, as `sluice logs` prints them.
   * @param {number} maxSev  7 for all
   */
  text(maxSev) {
    return this.shown.filter(({ p }) => (p.sev < 0 ? 6 : p.sev) <= maxSev).map(({ p }) => `${p.raw}\n`).join('');
  }

  report() {
    this.onChange({
      held: this.paused ? this.pending.length : 0,
      skipped: this.skipped,
      following: this.following,
      unseen: this.unseen,
      lines: this.shown.length,
      selected: this.selectedLine(),
    });
  }
}
