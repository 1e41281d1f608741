// Lines as engine messages: a JSON array of LogLine tuples (exact fields, no syslog parsing on the way back).
import type { LogLine } from '../../core/log-line.js';

type WireLine = [number, string, string, string, string, string, string, string];

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Splits `lines` into messages of at most `maxBytes` (a single bigger line still goes, alone). */
export function encodeLines(lines: LogLine[], maxBytes: number): { data: Uint8Array; count: number }[] {
  const out: { data: Uint8Array; count: number }[] = [];
  let parts: string[] = [];
  let size = 2;
  const emit = (): void => {
    if (parts.length === 0) return;
    out.push({ data: enc.encode(`[${parts.join(',')}]`), count: parts.length });
    parts = [];
    size = 2;
  };
  for (const l of lines) {
    const w: WireLine = [l.pri, l.time, l.hostname, l.source, l.procid, l.msgid, l.sd, l.msg];
    const text = JSON.stringify(w);
    // UTF-8 may take up to 3 bytes per UTF-16 unit: a safe bound without encoding twice.
    const bytes = text.length * 3 + 1;
    if (parts.length > 0 && size + bytes > maxBytes) emit();
    parts.push(text);
    size += bytes;
  }
  emit();
  return out;
}

export function decodeLines(data: Uint8Array): LogLine[] {
  let arr: unknown;
  try {
    arr = JSON.parse(dec.decode(data));
  } catch {
    return [];
  }
  if (!Array.isArray(arr)) return [];
  const out: LogLine[] = [];
  for (const w of arr as WireLine[]) {
    if (!Array.isArray(w) || w.length !== 8) continue;
    out.push({ pri: w[0], time: w[1], hostname: w[2], source: w[3], procid: w[4], msgid: w[5], sd: w[6], msg: w[7] });
  }
  return out;
}
