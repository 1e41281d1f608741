// OTLP severity numbers ⇄ syslog severities, and OTLP nanosecond times ⇄ RFC 3339 with microseconds.

/** Syslog severity names, index = severity (RFC 5424 table 2): the severity_text of routed lines. */
export const SYSLOG_SEVERITY_TEXT = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/**
 * SeverityNumber (1–24) → syslog severity: TRACE and DEBUG → 7 debug, INFO → 6 info,
 * WARN → 4 warning, ERROR → 3 err, FATAL → 2 crit; unspecified (0) → 6 info.
 */
export function syslogSeverity(severityNumber: number | undefined): number {
  const n = severityNumber ?? 0;
  if (n <= 0 || n > 24) return 6;
  if (n <= 8) return 7;
  if (n <= 12) return 6;
  if (n <= 16) return 4;
  if (n <= 20) return 3;
  return 2;
}

/** Syslog severity (0–7) → SeverityNumber: emerg FATAL4, alert FATAL3, crit FATAL, err ERROR, warning WARN, notice INFO2, info INFO, debug DEBUG. */
const TO_OTLP = [24, 23, 21, 17, 13, 10, 9, 5];
export function otlpSeverity(syslogSev: number): number {
  return TO_OTLP[syslogSev & 7];
}

const NS_PER_MS = 1_000_000n;

/** `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` for a time in ns since the epoch (sub-microsecond digits cut). */
export function nanosToRfc3339(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // …SS.mmmZ
  const micros = (ns / 1000n) % 1000n;
  return `${iso.slice(0, 23)}${micros.toString().padStart(3, '0')}+00:00`;
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;

/** ns since the epoch for an RFC 3339 timestamp (the fraction kept to the nanosecond), or undefined. */
export function rfc3339ToNanos(time: string): bigint | undefined {
  const m = RFC3339.exec(time);
  if (!m) return undefined;
  const secMs = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(secMs)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0'));
  return BigInt(secMs) * NS_PER_MS + frac;
}
