// Time as Sluice writes it: RFC 5424 timestamps with microseconds, always UTC.

let lastMs = 0;
let subMs = 0;

/**
 * `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` for lines Sluice generates itself (SPEC §4).
 * JavaScript clocks have millisecond resolution; the three sub-millisecond digits count up
 * within one millisecond so that lines generated in one burst keep a strict order.
 */
export function formatSluiceTime(date: Date = new Date()): string {
  const ms = date.getTime();
  if (ms === lastMs) subMs = Math.min(subMs + 1, 999);
  else {
    lastMs = ms;
    subMs = 0;
  }
  const iso = date.toISOString(); // 2026-11-21T05:14:56.123Z
  return `${iso.slice(0, 23)}${String(subMs).padStart(3, '0')}+00:00`;
}

/** `YYYY-MM-DDTHH:MM:SS+00:00`, the second-resolution form used inside L10/L11 texts. */
export function formatSecondTime(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}
