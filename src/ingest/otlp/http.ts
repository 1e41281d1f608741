// OTLP/HTTP input: POST /v1/logs becomes lines of the token's app; /v1/traces and /v1/metrics pass through to telemetry drains.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { credentials } from '../../http/credentials.js';
import { readBody } from '../../http/util.js';
import { SluiceError } from '../../core/errors.js';
import type { Router } from '../../router/router.js';
import type { TokenRecord } from '../../store/records.js';
import type { IngestEvents } from '../../telemetry/catalogue.js';
import { scrubLine } from '../syslog-lines.js';
import { decodeLogsRequest, type OtlpFormat } from '../../wire/otlp/logs-in.js';
import type { Signal, SignalPayload } from '../../wire/otlp/types.js';
import { sendEmptyAccepted, sendLogsAccepted, sendStatus } from './responses.js';

const gunzipAsync = promisify(gunzip);

export interface OtlpHttpOptions {
  maxBodyBytes: number;
  maxMessageBytes: number;
  /** Attributes per record (resource included) beyond which a record is rejected (default 1,024). */
  maxAttributes?: number;
  /** `--ack durable|replicated`: the 200 waits until the routed lines are stored so (as on /logs). */
  acknowledged?: () => Promise<void>;
  /** Hands a traces or metrics request to the app's telemetry drains; returns how many took it. */
  forward?: (appId: string, payload: SignalPayload) => number;
}

const FORMATS: Record<string, OtlpFormat> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};

export const OTLP_PATHS: Record<string, Signal> = { '/v1/logs': 'logs', '/v1/traces': 'traces', '/v1/metrics': 'metrics' };

/**
 * Checks credentials, type, size and the whole body before routing anything: a refused request
 * stores nothing. Answers follow the OTLP/HTTP specification (Status bodies in the client's encoding).
 */
export function otlpHttpHandler(router: Router, events: IngestEvents, opts: OtlpHttpOptions) {
  const resolve = (t: string): { name: string } | undefined => router.resolve(t);
  const limits = { maxMessageBytes: opts.maxMessageBytes, maxAttributes: opts.maxAttributes ?? 1024 };

  const fail = (req: IncomingMessage, res: ServerResponse, status: number, format: OtlpFormat, reason: string, text: string, headers?: Record<string, string>): void => {
    events.rejected('otlp', reason);
    // Read what is still coming (bounded) so the client gets the answer instead of a reset.
    if (!req.readableEnded) {
      let seen = 0;
      req.on('data', (c: Buffer) => {
        seen += c.length;
        if (seen > 4 * opts.maxBodyBytes) req.socket.destroy();
      });
      req.resume();
    }
    sendStatus(res, status, format, text, headers);
  };

  return async (req: IncomingMessage, res: ServerResponse, signal: Signal): Promise<void> => {
    const ctype = (req.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
    const format = FORMATS[ctype];
    if (req.method !== 'POST') {
      fail(req, res, 405, format ?? 'json', 'method', `Method not allowed: POST OTLP ${signal} to /v1/${signal}.`, { Allow: 'POST' });
      return;
    }
    const cred = credentials(req);
    const token: TokenRecord | undefined = cred ? router.resolve(cred.secret) : undefined;
    if (!token) {
      fail(req, res, 401, format ?? 'json', 'unauthorized', cred ? 'Unknown log token.' : 'Authentication required: Authorization: Bearer <log token>.', {
        'WWW-Authenticate': 'Bearer realm="sluice"',
      });
      return;
    }
    if (!format) {
      fail(req, res, 415, 'json', 'content_type', `Unsupported Content-Type "${ctype}": use application/x-protobuf or application/json.`);
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip') {
      fail(req, res, 415, format, 'content_encoding', `Unsupported Content-Encoding "${encoding}": use gzip or none.`);
      return;
    }
    let raw: Buffer;
    let body: Buffer;
    try {
      raw = await readBody(req, opts.maxBodyBytes);
      body = encoding === 'gzip' ? await gunzipAsync(raw, { maxOutputLength: opts.maxBodyBytes }) : raw;
    } catch (err) {
      if (err instanceof SluiceError) fail(req, res, err.status, format, err.id, err.message);
      else if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        fail(req, res, 413, format, 'too_large', `Body too large once decompressed: over ${opts.maxBodyBytes} bytes.`);
      } else fail(req, res, 400, format, 'bad_gzip', 'Body is not valid gzip.');
      return;
    }

    if (signal !== 'logs') {
      if (!router.limiter.admit(token.app_id, 1)) {
        fail(req, res, 429, format, 'rate_limit', `Rate limit exceeded: this app may send ${router.limiter.linesPerSecond} lines/s.`, {
          'Retry-After': String(router.limiter.retryAfter(token.app_id, 1)),
        });
        return;
      }
      opts.forward?.(token.app_id, { signal, body: raw, contentType: ctype, contentEncoding: encoding === 'gzip' ? 'gzip' : undefined });
      sendEmptyAccepted(res, format);
      return;
    }

    const decoded = decodeLogsRequest(body, format, limits);
    if (!decoded.ok) {
      fail(req, res, 400, format, 'malformed', decoded.reason);
      return;
    }
    const { lines } = decoded;
    if (decoded.rejected > 0) events.rejected('otlp', 'record', decoded.rejected);
    if (lines.length > 0 && !router.limiter.admit(token.app_id, lines.length)) {
      events.rejected('otlp', 'rate_limit', lines.length);
      sendStatus(res, 429, format, `Rate limit exceeded: this app may send ${router.limiter.linesPerSecond} lines/s.`, {
        'Retry-After': String(router.limiter.retryAfter(token.app_id, lines.length)),
      });
      return;
    }
    for (const line of lines) {
      scrubLine(line, resolve); // a token pasted into a message is never stored, as on /logs
      line.source = token.name;
      router.publish(token.app_id, line);
    }
    events.received('otlp', lines.length);
    if (opts.acknowledged) {
      try {
        await opts.acknowledged();
      } catch {
        sendStatus(res, 503, format, 'Not acknowledged: the records could not be stored in time; send them again.', { 'Retry-After': '1' });
        return;
      }
    }
    sendLogsAccepted(res, format, decoded.rejected, decoded.reason);
  };
}
