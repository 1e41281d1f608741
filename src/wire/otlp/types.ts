// Plain (JSON-safe) shapes of the OTLP messages Sluice reads and writes, as protobuf.js toObject gives them.

/** An AnyValue with exactly one of its fields set (int64 as a decimal string, bytes as base64). */
export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
}

export interface KeyValue {
  key: string;
  value?: AnyValue;
}

export interface PlainLogRecord {
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: string;
  spanId?: string;
  eventName?: string;
}

export interface PlainScopeLogs {
  scope?: { name?: string; version?: string; attributes?: KeyValue[] };
  logRecords?: PlainLogRecord[];
  schemaUrl?: string;
}

export interface PlainResourceLogs {
  resource?: { attributes?: KeyValue[]; droppedAttributesCount?: number };
  scopeLogs?: PlainScopeLogs[];
  schemaUrl?: string;
}

export interface PlainLogsRequest {
  resourceLogs?: PlainResourceLogs[];
}

/** The string value of attribute `key`, if it is a string. */
export function stringAttr(list: KeyValue[] | undefined, key: string): string | undefined {
  if (!list) return undefined;
  for (const kv of list) if (kv.key === key) return kv.value?.stringValue;
  return undefined;
}

/** A LogRecord body or attribute as text: strings as they are, everything else as compact JSON. */
export function anyValueText(v: AnyValue | undefined): string {
  if (v === undefined) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  return JSON.stringify(anyValueJson(v));
}

function anyValueJson(v: AnyValue | undefined): unknown {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValueJson);
  if (v.kvlistValue) return Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, anyValueJson(kv.value)]));
  return null;
}

export type Signal = 'logs' | 'traces' | 'metrics';

/** A traces or metrics request as it came: bytes, type and encoding untouched (never decoded). */
export interface SignalPayload {
  signal: 'traces' | 'metrics';
  body: Buffer;
  /** `application/x-protobuf` or `application/json`. */
  contentType: string;
  contentEncoding: 'gzip' | undefined;
}
