// HTTP drain bodies (SPEC §4.1): `application/logplex-1` frames of Heroku's drain message layout.
import { randomBytes } from 'node:crypto';
import type { LogLine } from '../../core/log-line.js';
import { l10 } from '../../core/stream-errors.js';
import { formatHttpDrainMessage } from '../../wire/drain-format.js';
import { FrameWriter, frameLayout } from '../../wire/frame-writer.js';
import type { DrainBuffer, Loss } from '../buffer.js';

/** One POST: its body is fixed once built, so every retry sends the same bytes and Frame-Id. */
export interface HttpBatch {
  frameId: string;
  body: Buffer;
  /** Frames in the body, the L10 line included (`Logplex-Msg-Count`). */
  msgCount: number;
  /** User lines in the body (what `delivered`/`dropped` count). */
  lines: number;
  /** The loss report this batch carries as its first frame, if any. */
  loss: Loss | undefined;
  attempts: number;
}

/** 32 uppercase hex digits, unique per batch. */
export const newFrameId = (): string => randomBytes(16).toString('hex').toUpperCase();

/** `<LEN> <MSG>` with LEN the UTF-8 byte length of MSG. */
export function frame(msg: string): { text: string; bytes: number } {
  const len = Buffer.byteLength(msg, 'utf8');
  const prefix = `${len} `;
  return { text: prefix + msg, bytes: prefix.length + len };
}

/**
 * Takes lines from the buffer until the body would pass `maxBytes` or holds `maxMessages`
 * (a single line larger than `maxBytes` goes alone). A pending loss becomes an L10 first frame.
 * Returns undefined when no line is waiting.
 */
export function takeHttpBatch(buffer: DrainBuffer, maxBytes: number, maxMessages: number): HttpBatch | undefined {
  // A loss report alone is not worth a request: it travels with the next line.
  if (buffer.length === 0) return undefined;
  const out = new FrameWriter(Math.min(maxBytes, 256 * 1024));
  let msgCount = 0;
  const loss = buffer.takeLoss();
  if (loss) {
    out.appendRaw(Buffer.from(frame(formatHttpDrainMessage(l10(loss.count, loss.since))).text, 'utf8'));
    msgCount++;
  }
  let lines = 0;
  for (let line: LogLine | undefined = buffer.peek(); line !== undefined && lines < maxMessages; line = buffer.peek()) {
    // The first line goes even when it alone passes maxBytes.
    if (!out.append(line, HTTP_LAYOUT, lines > 0 ? maxBytes : Infinity)) break;
    buffer.shift();
    lines++;
    msgCount++;
  }
  return { frameId: newFrameId(), body: out.take(), msgCount, lines, loss, attempts: 0 };
}

/** `<PRI>1 TIME host SOURCE PROCID - MSG`: the same bytes as formatHttpDrainMessage. */
const HTTP_LAYOUT = frameLayout(' host ', ' - ');
