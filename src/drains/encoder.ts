// How lines become a drain's queued bytes. A drain kind supplies a FrameEncoder; the manager
// calls `prepare` once per line for all drains whose encoders share a `key`, then `put` per drain.
import type { LogLine } from '../core/log-line.js';
import {
  encodeFrame,
  frameLayout,
  frameSize,
  newMidCache,
  prepareLine,
  prepareWire,
  wireMsgStart,
  writeFrameLike,
  type FrameLayout,
  type PreparedLine,
} from '../wire/frame-writer.js';
import type { DrainQueue } from './queue/queue.js';

export interface FrameEncoder<P = unknown> {
  /** Encoders with equal keys accept each other's `prepare` results. */
  readonly key: string;
  /**
   * The per-line work every drain of this key shares. `wire`: the RFC 5424 frame the line was
   * parsed from, when ingest vouches its MSG is unchanged (valid during this call only).
   */
  prepare(line: LogLine, wire?: Uint8Array): P;
  /** Appends this drain's frame for a prepared line to its queue. */
  put(p: P, q: DrainQueue): void;
  /** One frame of a line Sluice writes itself (L10), in this drain's layout. */
  frame(line: LogLine): Buffer;
}

/** Octet-counted RFC 5424 frames in one layout (HTTP's `host`, or a syslog drain's token). */
export class LayoutEncoder implements FrameEncoder<PreparedLine> {
  readonly key: string;
  private readonly layout: FrameLayout;
  private readonly mid = newMidCache();

  constructor(hostText: string, tailText: string) {
    this.layout = frameLayout(hostText, tailText);
    this.key = `layout:${tailText}`;
  }

  prepare(line: LogLine, wire?: Uint8Array): PreparedLine {
    // From the frame's own bytes when they can serve (most syslog and logplex-1 input): no
    // string is built or encoded per line, only two views of the frame are made.
    if (wire !== undefined) {
      const at = wireMsgStart(line, wire);
      if (at >= 0) return prepareWire(line, wire, at, this.layout.tailText, this.mid);
    }
    return prepareLine(line, this.layout.tailText);
  }

  put(p: PreparedLine, q: DrainQueue): void {
    const size = frameSize(p, this.layout.host);
    const at = q.begin(size);
    writeFrameLike(p, this.layout.host, q.wbuf, at, size);
    q.end(size);
  }

  frame(line: LogLine): Buffer {
    return encodeFrame(line, this.layout);
  }
}

/** The message formats a drain record may ask for (`format` on the record; default Heroku's). */
export type DrainFormat = 'heroku' | 'rfc5424';

/** HTTP drains: literal HOSTNAME `host`; Heroku's layout has no STRUCTURED-DATA, rfc5424 a nil one. */
export const httpEncoder = (format: DrainFormat = 'heroku'): LayoutEncoder => new LayoutEncoder(' host ', format === 'rfc5424' ? ' - - ' : ' - ');

/** Syslog drains: the drain token as HOSTNAME, MSGID and SD nil. */
export const syslogEncoder = (token: string): LayoutEncoder => new LayoutEncoder(` ${token} `, ' - - ');

/** Splits a block of octet-counted frames into its messages (UDP sends one per datagram). */
export function splitFrames(block: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < block.length; ) {
    let len = 0;
    let j = i;
    for (; j < block.length && block[j] !== 0x20; j++) len = len * 10 + (block[j] - 0x30);
    out.push(block.subarray(j + 1, j + 1 + len));
    i = j + 1 + len;
  }
  return out;
}
