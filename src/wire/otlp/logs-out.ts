// Log lines → one OTLP ExportLogsServiceRequest (protobuf), following the semantic conventions.
import type { LogLine } from '../../core/log-line.js';
import { VERSION } from '../../core/version.js';
import { exportLogsRequest } from './proto.js';
import { otlpSeverity, rfc3339ToNanos, SYSLOG_SEVERITY_TEXT } from './severity.js';
import type { KeyValue, PlainLogRecord, PlainResourceLogs } from './types.js';

/** The attribute that carries a line's source (`app`, `heroku`, a token's name). */
export const SOURCE_ATTRIBUTE = 'heroku.source';

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

/**
 * One ResourceLogs per run of lines from one dyno: resource `service.name` = the app's name,
 * `service.instance.id` = the dyno (PROCID) when there is one, plus what an OTLP producer put on
 * its resource. Consecutive runs keep the lines' order when the request is read front to back.
 */
export function encodeLogsRequest(appName: string, lines: readonly LogLine[], nowNs = BigInt(Date.now()) * 1_000_000n): Buffer {
  const resourceLogs: PlainResourceLogs[] = [];
  let records: PlainLogRecord[] = [];
  let key: string | undefined;
  for (const line of lines) {
    const k = `${line.procid}\0${line.otel?.resource ? JSON.stringify(line.otel.resource) : ''}\0${line.otel?.scope?.name ?? ''}`;
    if (k !== key) {
      key = k;
      records = [];
      resourceLogs.push({
        resource: { attributes: resourceOf(appName, line) },
        scopeLogs: [{ scope: line.otel?.scope ?? { name: 'sluice', version: VERSION }, logRecords: records }],
      });
    }
    records.push(recordOf(line, nowNs));
  }
  const T = exportLogsRequest();
  return Buffer.from(T.encode(T.fromObject({ resourceLogs })).finish());
}

function resourceOf(appName: string, line: LogLine): KeyValue[] {
  const out: KeyValue[] = [str('service.name', appName)];
  const own = (line.otel?.resource ?? []) as KeyValue[];
  if (line.procid !== '-' && !own.some((kv) => kv.key === 'service.instance.id')) out.push(str('service.instance.id', line.procid));
  return own.length ? out.concat(own) : out;
}

function recordOf(line: LogLine, nowNs: bigint): PlainLogRecord {
  const o = line.otel;
  const sev = line.pri & 7;
  const attributes: KeyValue[] = [str(SOURCE_ATTRIBUTE, line.source)];
  if (o?.attributes) attributes.push(...(o.attributes as KeyValue[]));
  const time = o?.timeUnixNano ?? rfc3339ToNanos(line.time)?.toString();
  return {
    timeUnixNano: time,
    observedTimeUnixNano: o?.observedTimeUnixNano ?? nowNs.toString(),
    severityNumber: o?.severityNumber ?? otlpSeverity(sev),
    severityText: o?.severityText ?? SYSLOG_SEVERITY_TEXT[sev],
    body: o?.body !== undefined ? (o.body as PlainLogRecord['body']) : { stringValue: line.msg },
    attributes,
    traceId: o?.traceId ? Buffer.from(o.traceId, 'hex').toString('base64') : undefined,
    spanId: o?.spanId ? Buffer.from(o.spanId, 'hex').toString('base64') : undefined,
    flags: o?.flags,
    eventName: o?.eventName,
  };
}
