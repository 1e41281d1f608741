// Session filters (SPEC §7): source exact; dyno exact or `type.` prefix; type = part before `.`.
import type { LogLine } from '../core/log-line.js';

export interface LineFilter {
  source?: string;
  dyno?: string;
  type?: string;
}

/** A predicate for the filter, or undefined when nothing is filtered (the fast path). */
export function compileFilter(f: LineFilter): ((line: LogLine) => boolean) | undefined {
  const { source, dyno, type } = f;
  if (!source && !dyno && !type) return undefined;
  const dynoPrefix = dyno ? `${dyno}.` : '';
  const typePrefix = type ? `${type}.` : '';
  return (line) =>
    (!source || line.source === source) &&
    (!dyno || line.procid === dyno || line.procid.startsWith(dynoPrefix)) &&
    (!type || line.procid === type || line.procid.startsWith(typePrefix));
}
