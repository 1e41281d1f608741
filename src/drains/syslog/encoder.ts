// Syslog drain frames (SPEC §4.2): octet-counted RFC 5424 with the drain token as HOSTNAME.
import type { LogLine } from '../../core/log-line.js';
import { l10 } from '../../core/stream-errors.js';
import { formatSyslogDrainMessage } from '../../wire/drain-format.js';
import type { DrainBuffer, Loss } from '../buffer.js';
import { frame } from '../http/encoder.js';
import { FrameWriter, frameLayout, type FrameLayout } from '../../wire/frame-writer.js';

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
  const out = new FrameWriter(Math.min(maxBytes, 256 * 1024));
  let parts = 0;
  const loss = buffer.takeLoss();
  if (loss) {
    out.appendRaw(Buffer.from(frame(formatSyslogDrainMessage(l10(loss.count, loss.since), token)).text, 'utf8'));
    parts++;
  }
  const layout = syslogLayout(token);
  let lines = 0;
  for (let line: LogLine | undefined = buffer.peek(); line !== undefined; line = buffer.peek()) {
    // The first frame goes even when it alone passes maxBytes.
    if (!out.append(line, layout, parts > 0 ? maxBytes : Infinity)) break;
    buffer.shift();
    parts++;
    lines++;
  }
  return { data: out.take(), lines, loss };
}

let lastLayout: { token: string; layout: FrameLayout } | undefined;

/** `<PRI>1 TIME d.<token> SOURCE PROCID - - MSG`: the same bytes as formatSyslogDrainMessage. */
function syslogLayout(token: string): FrameLayout {
  if (lastLayout?.token !== token) lastLayout = { token, layout: frameLayout(` ${token} `, ' - - ') };
  return lastLayout.layout;
}

/** The datagrams of a UDP drain: the same messages, unframed, one per datagram. */
export function syslogDatagram(line: LogLine, token: string): Buffer {
  return Buffer.from(formatSyslogDrainMessage(line, token), 'utf8');
}
