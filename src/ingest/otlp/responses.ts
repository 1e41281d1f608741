// OTLP/HTTP answers: the response message or a google.rpc.Status, in the encoding the client used.
import type { ServerResponse } from 'node:http';
import { exportLogsResponse, rpcStatus } from '../../wire/otlp/proto.js';
import type { OtlpFormat } from '../../wire/otlp/logs-in.js';

/** gRPC status codes that OTLP maps HTTP failures onto (the Status body's `code`). */
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 503: 14 };

function send(res: ServerResponse, status: number, format: OtlpFormat, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': format === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'Content-Length': body.length,
    ...headers,
  });
  res.end(body);
}

export function sendStatus(res: ServerResponse, status: number, format: OtlpFormat, message: string, headers?: Record<string, string>): void {
  const code = GRPC_CODE[status] ?? 2;
  if (format === 'json') {
    send(res, status, format, Buffer.from(JSON.stringify({ code, message })), headers);
    return;
  }
  const T = rpcStatus();
  send(res, status, format, Buffer.from(T.encode(T.create({ code, message })).finish()), headers);
}

/** 200 with ExportLogsServiceResponse; `partial_success` only when records were rejected. */
export function sendLogsAccepted(res: ServerResponse, format: OtlpFormat, rejected: number, reason: string | undefined): void {
  const partial = rejected > 0 ? { partialSuccess: { rejectedLogRecords: rejected, errorMessage: reason ?? '' } } : {};
  if (format === 'json') {
    // proto3 JSON: int64 as a decimal string.
    const json = rejected > 0 ? { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: reason ?? '' } } : {};
    send(res, 200, format, Buffer.from(JSON.stringify(json)));
    return;
  }
  const T = exportLogsResponse();
  send(res, 200, format, Buffer.from(T.encode(T.fromObject(partial)).finish()));
}

/** 200 with an empty Export…ServiceResponse: zero bytes in protobuf, `{}` in JSON. */
export function sendEmptyAccepted(res: ServerResponse, format: OtlpFormat): void {
  send(res, 200, format, Buffer.from(format === 'json' ? '{}' : ''));
}
