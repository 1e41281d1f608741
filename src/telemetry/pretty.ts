// The server log for a person at a terminal: `12:00:01.234 INFO  message  key=value …`.
import { writeSync } from 'node:fs';
import type { DestinationStream } from 'pino';

const COLOURS: Record<string, string> = { fatal: '35', error: '31', warn: '33', info: '32', debug: '36', trace: '90' };
const HIDDEN = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

/**
 * Written here rather than with pino-pretty: that is a dozen transitive packages and a worker
 * thread for what is one line of formatting per event, and the JSON form (what log shippers
 * read) stays the default whenever stdout is not a terminal.
 */
export function prettyDestination(fd: number, colour: boolean): DestinationStream {
  return {
    write(line: string): void {
      writeSync(fd, formatPretty(line, colour));
    },
  };
}

export function formatPretty(jsonLine: string, colour = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const time = typeof o.time === 'string' ? o.time.slice(11, 23) : '';
  const level = String(o.level ?? '').toUpperCase().padEnd(5);
  const lvl = colour ? `\u001b[${COLOURS[String(o.level)] ?? '0'}m${level}\u001b[0m` : level;
  const fields = Object.entries(o)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  return `${time} ${lvl} ${String(o.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}\n`;
}
