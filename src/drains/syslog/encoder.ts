// Syslog drain frames (SPEC §4.2): octet-counted RFC 5424 with the drain token as HOSTNAME.
import type { LogLine } from '../../core/log-line.js';
import { l10 } from '../../core/stream-errors.js';
import { formatSyslogDrainMessage } from '../../wire/drain-format.js';
import type { DrainBuffer, Loss } from '../buffer.js';
import { frame } from '../http/encoder.js';

/** One socket write: fixed bytes, the user lines in it and the loss report it carries. */
export interface SyslogChunk {
  data: Buffer;
  lines: number;
  loss: Loss | undefined;
}

/**
 * Takes lines until the chunk would pass `maxBytes` (a larger single line goes alone). A pending
 * loss becomes an L10 frame in the stream, at the place where the lines went missing.
 */
export function takeSyslogChunk(buffer: DrainBuffer, token: string, maxBytes: number): SyslogChunk | undefined {
  if (buffer.length === 0) return undefined; // a loss report travels with the next line
  const parts: string[] = [];
  let bytes = 0;
  const loss = buffer.takeLoss();
  if (loss) {
    const f = frame(formatSyslogDrainMessage(l10(loss.count, loss.since), token));
    parts.push(f.text);
    bytes += f.bytes;
  }
  let lines = 0;
  for (let line: LogLine | undefined = buffer.peek(); line !== undefined; line = buffer.peek()) {
    const f = frame(formatSyslogDrainMessage(line, token));
    if (parts.length > 0 && bytes + f.bytes > maxBytes) break;
    buffer.shift();
    parts.push(f.text);
    bytes += f.bytes;
    lines++;
  }
  return { data: Buffer.from(parts.join(''), 'utf8'), lines, loss };
}

/** The datagrams of a UDP drain: the same messages, unframed, one per datagram. */
export function syslogDatagram(line: LogLine, token: string): Buffer {
  return Buffer.from(formatSyslogDrainMessage(line, token), 'utf8');
}
