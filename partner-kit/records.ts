// `application/logplex-1` drain bodies → typed records (SPEC §4.1: `<LEN> <PRI>1 TIME host SOURCE PROCID - MSG\n`).
import { decodeLogplexBody } from '../src/wire/logplex1.js';
import { parseRfc5424 } from '../src/wire/rfc5424.js';

/** One log line as a drain delivers it. */
export interface DrainLogRecord {
  /** PRI, 0–191; `facility * 8 + severity`. */
  pri: number;
  facility: number;
  /** 0 emergency … 7 debug. */
  severity: number;
  /** The producer's timestamp, as sent (e.g. `2024-05-01T12:00:00.000000+00:00`). */
  time: string;
  /** Always `host` in Heroku's drain format. */
  hostname: string;
  /** `app`, `heroku`, or the name of the log token that wrote the line. */
  source: string;
  /** `web.1`, `router`, `api`, … (`-` when absent). */
  procid: string;
  msgid: string;
  /** The message without the one trailing newline every drain frame ends with. */
  message: string;
}

export interface InvalidFrame {
  index: number;
  reason: string;
  /** The frame's text, for the partner's own diagnostics. */
  raw: string;
}

export type ParsedDrainBody =
  | { ok: true; records: DrainLogRecord[]; invalid: InvalidFrame[] }
  /** The framing itself is broken: nothing in the body can be trusted. */
  | { ok: false; reason: string };

/**
 * Splits a body into records. Broken framing fails the whole body (answer 400); a frame whose
 * syslog header cannot be read is reported in `invalid` and the others are kept.
 */
export function parseDrainBody(body: Uint8Array, maxFrameBytes = 64 * 1024): ParsedDrainBody {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const decoded = decodeLogplexBody(buf, maxFrameBytes);
  if (!decoded.ok) return { ok: false, reason: decoded.reason };
  const records: DrainLogRecord[] = [];
  const invalid: InvalidFrame[] = [];
  decoded.frames.forEach((frame, index) => {
    const text = frame.toString('utf8');
    const p = parseRfc5424(text);
    if (!p.ok) {
      invalid.push({ index, reason: p.reason, raw: text });
      return;
    }
    const l = p.value;
    records.push({
      pri: l.pri,
      facility: l.pri >> 3,
      severity: l.pri & 7,
      time: l.time,
      hostname: l.hostname,
      source: l.source,
      procid: l.procid,
      msgid: l.msgid,
      message: l.msg.endsWith('\n') ? l.msg.slice(0, -1) : l.msg,
    });
  });
  return { ok: true, records, invalid };
}

/** Formats a record as `heroku logs` prints it: `TIME SOURCE[PROCID]: MESSAGE`. */
export function formatRecord(r: DrainLogRecord): string {
  return r.procid === '-' ? `${r.time} ${r.source}: ${r.message}` : `${r.time} ${r.source}[${r.procid}]: ${r.message}`;
}
