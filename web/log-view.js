// The lines on screen: appended in batches once per frame, each batch one `.chunk` element (the
// browser skips laying out and painting chunks out of sight, see console.css), at most MAX_LINES
// kept (in the DOM and in memory, whatever the rate), following the newest line unless the reader scrolled up
// ("N new lines"), held back while paused, one line selectable for copy and permalink.

import { parseLine, renderLine, formatTime } from './log-line.js';

/** The most lines the page keeps on screen, and the most it holds waiting (paused, or a flood). */
export const MAX_LINES = 5000;
/** Script time per frame for drawing lines; what doesn't fit waits for the next frame. */
const FRAME_MS = 8;

/** Roughly one row's height, for a chunk not drawn yet (console.css: 13px/1.45). */
const ROW_EM = 1.45;

/**
 * One frame's rows in one element: the browser tracks visibility per chunk, not per row.
 * @param {Document} doc @param {Node} rows @param {number} n
 */
function chunkOf(doc, rows, n) {
  const c = doc.createElement('div');
  c.className = 'chunk';
  // Set through the CSSOM (allowed by the CSP, unlike a style attribute): the height a chunk
  // counts for until it is first drawn; after that the browser remembers its real size.
  c.style.containIntrinsicSize = `auto none auto ${(n * ROW_EM).toFixed(2)}em`;
  c.append(rows);
  return c;
}

/** A line of the console's own, set apart from log lines. @param {Document} doc @param {string} text */
function noteRow(doc, text) {
  const row = doc.createElement('div');
  row.className = 'line note';
  row.textContent = text;
  return row;
}

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
    /** @type {string[]} lines waiting for the next frame, or for resume (parsed only when drawn) */
    this.pending = [];
    /** @type {{p: Parsed, row: HTMLElement}[]} what is on screen, oldest first */
    this.shown = [];
    this.skipped = 0; // lines that fell out of `pending` while paused
    this.overrun = 0; // lines that fell out of `pending` because they came faster than frames
    this.unseen = 0; // lines added while scrolled up
    this.rows = 0; // rows in the box (lines and notes), across its chunks
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
    for (const l of lines) this.pending.push(l);
    if (this.pending.length > MAX_LINES) {
      // Held while paused, or arriving faster than frames can draw them: the oldest waiting go.
      const over = this.pending.length - MAX_LINES;
      this.pending.splice(0, over);
      if (this.paused) this.skipped += over;
      else this.overrun += over;
    }
    if (this.paused) this.report();
    else this.schedule();
  }

  /**
   * A line of the console's own (filters applied, stream restarted), set apart from log lines.
   * @param {string} text
   */
  note(text) {
    this.flush(true);
    const doc = this.box.ownerDocument;
    this.box.append(chunkOf(doc, noteRow(doc, text), 1));
    this.rows++;
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
    this.overrun = 0;
    this.unseen = 0;
    this.selected = null;
    this.rows = 0;
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

  /**
   * Draws waiting lines, for at most FRAME_MS of script per frame so input is never kept
   * waiting behind a flood; the rest wait for the next frame (at most MAX_LINES of them).
   * `all` draws everything now (a permalink looking for its line).
   */
  flush(all = false) {
    if (this.paused || this.pending.length === 0) return;
    const doc = this.box.ownerDocument;
    const frag = doc.createDocumentFragment();
    if (this.overrun > 0) {
      frag.append(noteRow(doc, `… ${this.overrun.toLocaleString('en-US')} lines skipped here: they arrived faster than this page can draw (the chart above counts them all; pause, or search, to look for one)`));
      this.overrun = 0;
      this.rows++;
    }
    const opts = { utc: this.utc, needle: this.needle };
    const t0 = performance.now();
    let n = 0;
    while (n < this.pending.length && (all || n % 100 !== 0 || performance.now() - t0 < FRAME_MS)) {
      const p = parseLine(this.pending[n++]);
      const row = renderLine(p, doc, opts);
      this.shown.push({ p, row });
      frag.append(row);
    }
    this.pending = n === this.pending.length ? [] : this.pending.slice(n);
    this.rows += n;
    this.box.append(chunkOf(doc, frag, frag.childNodes.length));
    if (!this.following) this.unseen += n;
    this.trim();
    if (this.pending.length > 0) this.schedule();
  }

  /**
   * Keeps at most MAX_LINES rows (notes included): the oldest whole chunks go, then the oldest
   * rows of the next one in one range deletion (at 10,000 lines/s this runs every frame).
   */
  trim() {
    let extra = this.rows - MAX_LINES;
    if (extra > 0) {
      const removed = extra;
      let notes = 0;
      while (extra > 0) {
        const chunk = /** @type {Element} */ (this.box.firstElementChild);
        const n = chunk.childElementCount;
        if (n <= extra) {
          notes += chunk.getElementsByClassName('note').length;
          if (this.selected && chunk.contains(this.selected)) this.selected = null;
          chunk.remove();
          extra -= n;
          continue;
        }
        const first = /** @type {Element} */ (chunk.firstElementChild);
        let last = first;
        for (let i = 0; ; i++) {
          if (last.classList.contains('note')) notes++;
          if (last === this.selected) this.selected = null;
          if (i === extra - 1) break;
          last = /** @type {Element} */ (last.nextElementSibling);
        }
        const range = this.box.ownerDocument.createRange();
        range.setStartBefore(first);
        range.setEndAfter(last);
        range.deleteContents();
        extra = 0;
      }
      this.rows = MAX_LINES;
      this.shown.splice(0, removed - notes);
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
    this.flush(true);
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
