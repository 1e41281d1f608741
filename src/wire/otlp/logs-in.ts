// OTLP ExportLogsServiceRequest (protobuf or OTLP/JSON) → log lines, checked whole before any is routed.
import { formatSluiceTime } from '../../core/clock.js';
import { pri, type LogLine, type OtelFields } from '../../core/log-line.js';
import { exportLogsRequest, PLAIN } from './proto.js';
import { nanosToRfc3339, syslogSeverity } from './severity.js';
import { anyValueText, stringAttr, type KeyValue, type PlainLogRecord, type PlainLogsRequest } from './types.js';

/** local7: the facility Heroku gives app output (`<190>` = local7.info). */
export const OTLP_FACILITY = 23;

export interface OtlpInputLimits {
  /** Largest MSG in bytes; a record whose body renders longer is rejected. */
  maxMessageBytes: number;
  /** Most attributes a record may carry, its resource's included; more rejects the record. */
  maxAttributes: number;
}

export type OtlpDecoded =
  | { ok: true; lines: LogLine[]; rejected: number; reason: string | undefined }
  | { ok: false; reason: string };

export type OtlpFormat = 'protobuf' | 'json';

/** Decodes the whole request; `ok: false` (a 400) when it is not a valid request at all. */
export function decodeLogsRequest(body: Buffer, format: OtlpFormat, limits: OtlpInputLimits, now = new Date()): OtlpDecoded {
  let req: PlainLogsRequest;
  try {
    req = format === 'protobuf' ? fromProtobuf(body) : fromJson(body);
  } catch (err) {
    return { ok: false, reason: `not a valid OTLP ExportLogsServiceRequest (${format}): ${err instanceof Error ? err.message : String(err)}` };
  }
  const lines: LogLine[] = [];
  let rejected = 0;
  let reason: string | undefined;
  const nowNs = BigInt(now.getTime()) * 1_000_000n;
  for (const rl of req.resourceLogs ?? []) {
    const resAttrs = rl.resource?.attributes ?? [];
    const procid = procidOf(stringAttr(resAttrs, 'service.instance.id'));
    const resource = resAttrs.filter((kv) => kv.key !== 'service.name');
    for (const sl of rl.scopeLogs ?? []) {
      const scope = sl.scope ? { name: sl.scope.name, version: sl.scope.version } : undefined;
      for (const r of sl.logRecords ?? []) {
        const n = (r.attributes?.length ?? 0) + resAttrs.length;
        if (n > limits.maxAttributes) {
          rejected++;
          reason ??= `a log record carries ${n} attributes (its resource's included); at most ${limits.maxAttributes} are accepted`;
          continue;
        }
        const msg = anyValueText(r.body);
        if (Buffer.byteLength(msg, 'utf8') > limits.maxMessageBytes) {
          rejected++;
          reason ??= `a log record body is longer than ${limits.maxMessageBytes} bytes`;
          continue;
        }
        lines.push(toLine(r, msg, procid, resource, scope, nowNs));
      }
    }
  }
  return { ok: true, lines, rejected, reason };
}

function toLine(r: PlainLogRecord, msg: string, procid: string, resource: KeyValue[], scope: OtelFields['scope'], nowNs: bigint): LogLine {
  const t = nonZero(r.timeUnixNano) ?? nonZero(r.observedTimeUnixNano);
  const otel: OtelFields = {
    timeUnixNano: t?.toString(),
    observedTimeUnixNano: nonZero(r.observedTimeUnixNano)?.toString() ?? nowNs.toString(),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: r.body !== undefined && r.body.stringValue === undefined ? r.body : undefined,
    attributes: r.attributes,
    resource: resource.length ? resource : undefined,
    scope,
    traceId: r.traceId ? Buffer.from(r.traceId, 'base64').toString('hex') : undefined,
    spanId: r.spanId ? Buffer.from(r.spanId, 'base64').toString('hex') : undefined,
    flags: r.flags,
    eventName: r.eventName,
  };
  return {
    pri: pri(OTLP_FACILITY, syslogSeverity(r.severityNumber)),
    time: t !== undefined ? nanosToRfc3339(t) : formatSluiceTime(),
    hostname: '-',
    source: '-',
    procid,
    msgid: '-',
    sd: '-',
    msg,
    otel,
  };
}

function nonZero(v: string | undefined): bigint | undefined {
  if (v === undefined || v === '' || v === '0') return undefined;
  try {
    const n = BigInt(v);
    return n > 0n ? n : undefined;
  } catch {
    return undefined;
  }
}

/** PROCID is printable ASCII without spaces, at most 128 characters (RFC 5424); `-` when absent. */
function procidOf(v: string | undefined): string {
  if (!v) return '-';
  const clean = v.replace(/[^\x21-\x7e]/g, '_').slice(0, 128);
  return clean || '-';
}

function fromProtobuf(body: Buffer): PlainLogsRequest {
  const T = exportLogsRequest();
  return T.toObject(T.decode(body), PLAIN) as PlainLogsRequest;
}

const HEX = /^(?:[0-9a-f]{2})*$/i;

/** OTLP/JSON: lowerCamelCase names, enums as numbers, 64-bit integers as strings or numbers, trace and span ids in hex. */
function fromJson(body: Buffer): PlainLogsRequest {
  const json = JSON.parse(body.toString('utf8')) as unknown;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('the body is not a JSON object');
  for (const rl of asArray((json as { resourceLogs?: unknown }).resourceLogs)) {
    for (const sl of asArray((rl as { scopeLogs?: unknown })?.scopeLogs)) {
      for (const r of asArray((sl as { logRecords?: unknown })?.logRecords)) {
        if (typeof r !== 'object' || r === null) continue;
        const rec = r as Record<string, unknown>;
        for (const k of ['traceId', 'spanId']) {
          const v = rec[k];
          if (typeof v === 'string') {
            if (!HEX.test(v)) throw new Error(`${k} is not hex`);
            rec[k] = Buffer.from(v, 'hex');
          }
        }
      }
    }
  }
  const T = exportLogsRequest();
  return T.toObject(T.fromObject(json), PLAIN) as PlainLogsRequest;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
