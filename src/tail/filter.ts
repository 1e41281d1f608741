// Session filters: source exact; dyno exact or `type.` prefix; type = part before `.`; and
// (Sluice's extension) `search`, a case-insensitive substring of the line as a session shows it.
import type { LogLine } from '../core/log-line.js';

export interface LineFilter {
  source?: string;
  dyno?: string;
  type?: string;
  /** Case-insensitive substring of `SOURCE[PROCID]: MSG` (the timestamp is not searched). */
  search?: string;
}

/** A predicate for the filter, or undefined when nothing is filtered (the fast path). */
export function compileFilter(f: LineFilter): ((line: LogLine) => boolean) | undefined {
  const { source, dyno, type, search } = f;
  if (!source && !dyno && !type && !search) return undefined;
  const dynoPrefix = dyno ? `${dyno}.` : '';
  const typePrefix = type ? `${type}.` : '';
  const found = search ? matcher(search) : undefined;
  return (line) =>
    (!source || line.source === source) &&
    (!dyno || line.procid === dyno || line.procid.startsWith(dynoPrefix)) &&
    (!type || line.procid === type || line.procid.startsWith(typePrefix)) &&
    (found === undefined || found(line));
}

/**
 * Searches the message first (where the words are), then the header, so a search for `web.1`
 * or `router` also finds the lines of that dyno. Lower-casing happens once per line, only for
 * lines that reach this point (the cheaper exact filters ran first).
 */
function matcher(search: string): (line: LogLine) => boolean {
  const needle = search.toLowerCase();
  return (line) =>
    line.msg.toLowerCase().includes(needle) ||
    (line.procid === '-' ? `${line.source}:` : `${line.source}[${line.procid}]:`).toLowerCase().includes(needle);
}
