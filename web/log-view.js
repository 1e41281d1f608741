// The lines on screen: appended in batches once per frame, at most MAX_LINES kept in the DOM,
// following the newest line unless the reader has scrolled up, and held back while paused.

import { renderLine } from './log-line.js';

export const MAX_LINES = 2000;

export class LogView {
  /**
   * @param {HTMLElement} box   the scrolling element
   * @param {(info: {held: number, skipped: number, following: boolean}) => void} onChange
   */
  constructor(box, onChange) {
    this.box = box;
    this.onChange = onChange;
    /** @type {string[]} lines waiting for the next frame, or for resume */
    this.pending = [];
    this.skipped = 0; // lines that fell out of `pending` while paused
    this.paused = false;
    this.following = true;
    this.scheduled = false;
    box.addEventListener('scroll', () => {
      const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
      if (atEnd !== this.following) {
        this.following = atEnd;
        this.report();
      }
    });
  }

  /** @param {string[]} lines */
  add(lines) {
    for (const l of lines) this.pending.push(l);
    if (this.pending.length > MAX_LINES) {
      const over = this.pending.length - MAX_LINES;
      this.pending.splice(0, over);
      this.skipped += over;
    }
    if (this.paused) this.report();
    else this.schedule();
  }

  /** A line of the console's own (filters applied, stream restarted), set apart from log lines. */
  /** @param {string} text */
  note(text) {
    this.flush();
    const row = this.box.ownerDocument.createElement('div');
    row.className = 'line note';
    row.textContent = text;
    this.append([row]);
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

  clear() {
    this.pending = [];
    this.skipped = 0;
    this.box.replaceChildren();
    this.following = true;
    this.report();
  }

  jumpToEnd() {
    this.box.scrollTop = this.box.scrollHeight;
    this.following = true;
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
    const rows = this.pending.map((l) => renderLine(l, doc));
    this.pending = [];
    this.append(rows);
  }

  /** @param {HTMLElement[]} rows */
  append(rows) {
    const frag = this.box.ownerDocument.createDocumentFragment();
    frag.append(...rows);
    this.box.append(frag);
    let extra = this.box.childElementCount - MAX_LINES;
    while (extra-- > 0) this.box.firstElementChild?.remove();
    if (this.following) this.box.scrollTop = this.box.scrollHeight;
    this.report();
  }

  report() {
    this.onChange({ held: this.paused ? this.pending.length : 0, skipped: this.skipped, following: this.following });
  }
}
