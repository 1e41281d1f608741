// The one record every part of Sluice passes around: a parsed RFC 5424 message.

/**
 * A log line as routed. Fields are the RFC 5424 header fields, kept as the producer sent them
 * (the timestamp is never rewritten). `source` is the APP-NAME: on input it carries the log
 * token, and the router replaces it with the token's name before anyone else sees the line.
 */
export interface LogLine {
  /** PRI value, 0–191. */
  pri: number;
  /** TIMESTAMP exactly as sent (`-` when the producer sent NILVALUE). */
  time: string;
  /** HOSTNAME as sent; irrelevant on input, kept for completeness. */
  hostname: string;
  /** APP-NAME: the token on input, the source name (`app`, `heroku`, …) once routed. */
  source: string;
  /** PROCID: `web.1`, `router`, `api`; `-` when absent. */
  procid: string;
  /** MSGID; `-` when absent. */
  msgid: string;
  /** STRUCTURED-DATA as sent (`-` or one or more `[…]` elements). Drains do not forward it. */
  sd: string;
  /** MSG, decoded as UTF-8. May end in `\n`; that newline is part of the message. */
  msg: string;
  /**
   * What an OTLP producer sent besides the message (OTLP input only): kept so that OTLP drains
   * forward the record as it came. Syslog and HTTP drains, history and tails ignore it.
   */
  otel?: OtelFields;
}

/** OTLP LogRecord fields beyond body and time, in OTLP/JSON form (JSON-safe: history stores it). */
export interface OtelFields {
  /** `time_unix_nano` as a decimal string (the line's `time` has microseconds only). */
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  /** The body when it was not a string (the MSG holds its JSON rendering). */
  body?: unknown;
  /** LogRecord attributes, `{key, value: AnyValue}`. */
  attributes?: unknown[];
  /** Resource attributes other than `service.name` (the app's name replaces it on the way out). */
  resource?: unknown[];
  scope?: { name?: string; version?: string };
  /** Hex, as OTLP/JSON writes them. */
  traceId?: string;
  spanId?: string;
  flags?: number;
  eventName?: string;
}

/** Severity/facility helpers kept here so codecs and generators agree on PRI arithmetic. */
export function pri(facility: number, severity: number): number {
  return facility * 8 + severity;
}
