// `POST /logs`: application/logplex-1 batches authenticated by a log token (SPEC §3.1).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { LogLine } from '../core/log-line.js';
import { readBody, sendText } from '../http/util.js';
import { BufferPool } from '../core/buffer-pool.js';
import { credentials } from '../http/credentials.js';
import { SluiceError } from '../core/errors.js';
import type { Router } from '../router/router.js';
import type { IngestEvents } from '../telemetry/catalogue.js';
import { decodeLogplexBody } from '../wire/logplex1.js';
import { parseSyslog } from '../wire/syslog.js';
import { FrameIdCache, MAX_FRAME_ID_LENGTH } from './frame-ids.js';
import { scrubLine } from './syslog-lines.js';

const gunzipAsync = promisify(gunzip);

function discard(req: IncomingMessage, cap: number): void {
  let seen = 0;
  req.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > cap) req.socket.destroy();
  });
  req.resume();
}
const CONTENT_TYPES = new Set(['application/logplex-1', 'application/x-logplex-1']);

export interface HttpLogsOptions {
  maxBodyBytes: number;
  maxMessageBytes: number;
  /**
   * `--ack durable` (in the history's write-ahead log) or `--ack replicated` (cluster mode):
   * resolves once the lines routed so far are stored so; the 204 waits for it, and a rejection
   * (disk or engine unavailable) answers 503 so the sender retries.
   */
  acknowledged?: () => Promise<void>;
  /** The Frame-Id de-duplication memory (the server reads its size for /metrics). */
  frameIds?: FrameIdCache;
}

/**
 * Decodes and checks the whole batch before routing any of it: a rejected request stores
 * nothing. Errors are one line of text with the status, as Logplex answered.
 */
export function httpLogsHandler(router: Router, events: IngestEvents, opts: HttpLogsOptions) {
  const frameIds = opts.frameIds ?? new FrameIdCache();
  // Bodies are joined in reused buffers (see BufferPool): only frames' views of them reach the
  // router, and subscribers may not keep those past the synchronous delivery. A logplex-1 batch
  // is ~100 KiB; bodies up to 1 MiB are pooled, 8 MiB at most wait.
  const pool = new BufferPool(1 << 20, 8 << 20, 64 << 10);
  const resolve = (t: string): { name: string } | undefined => router.resolve(t);

  const fail = (res: ServerResponse, status: number, reason: string, text: string): void => {
    events.rejected('http', reason);
    const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Basic realm="sluice"' } : {};
    // A refused upload may still be streaming in. Closing on it makes the kernel reset the
    // connection, and many clients then lose the answer and retry the same batch; so the rest
    // is read and thrown away (bounded: past 4× the limit the socket is closed; the request
    // timeout bounds the time).
    if (!res.req.readableEnded) discard(res.req, 4 * opts.maxBodyBytes);
    sendText(res, status, text, headers);
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      sendText(res, 405, 'Method not allowed: POST log lines to /logs.', { Allow: 'POST' });
      return;
    }
    const cred = credentials(req);
    const token = cred ? router.resolve(cred.secret) : undefined;
    if (!token) {
      fail(res, 401, 'unauthorized', cred ? 'Unknown log token.' : 'Authentication required: Basic token:<log token>.');
      return;
    }
    // Parameters (`; charset=utf-8`) are tolerated: the framing does not depend on them.
    const ctype = (req.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
    if (!CONTENT_TYPES.has(ctype)) {
      fail(res, 415, 'content_type', `Unsupported Content-Type "${ctype}": use application/logplex-1.`);
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, opts.maxBodyBytes, pool);
      const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
      if (encoding === 'gzip') {
        const raw = body;
        body = await gunzipAsync(raw, { maxOutputLength: opts.maxBodyBytes });
        pool.release(raw);
      } else if (encoding !== '' && encoding !== 'identity') {
        fail(res, 415, 'content_encoding', `Unsupported Content-Encoding "${encoding}": use gzip or none.`);
        return;
      }
    } catch (err) {
      if (err instanceof SluiceError) fail(res, err.status, err.id, err.message);
      else if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        fail(res, 413, 'too_large', `Body too large once decompressed: over ${opts.maxBodyBytes} bytes.`);
      } else fail(res, 400, 'bad_gzip', 'Body is not valid gzip.');
      return;
    }

    const decoded = decodeLogplexBody(body, opts.maxMessageBytes);
    if (!decoded.ok) {
      fail(res, 400, 'malformed', `Malformed log messages: ${decoded.reason}.`);
      return;
    }
    const frames = decoded.frames;
    const countHeader = req.headers['logplex-msg-count'];
    if (countHeader !== undefined && Number(countHeader) !== frames.length) {
      fail(res, 400, 'count_mismatch', `Message count mismatch: Logplex-Msg-Count is ${countHeader}, body has ${frames.length} frames.`);
      return;
    }
    // One of our own drains delivering back into us: dropped (counted by the guard), answered as
    // delivered so that it does not retry.
    const frameId = req.headers['logplex-frame-id'];
    if (router.loops.isLoop(req.headers['logplex-drain-token'], frames.length, 'http') || router.loops.isLoopFrame(frameId, frames.length)) {
      return void res.writeHead(204).end();
    }
    if (typeof frameId === 'string' && frameId.length > MAX_FRAME_ID_LENGTH) {
      fail(res, 400, 'frame_id_too_long', `Logplex-Frame-Id is ${frameId.length} characters long; at most ${MAX_FRAME_ID_LENGTH} are accepted.`);
      return;
    }
    if (typeof frameId === 'string' && frameId !== '' && frameIds.has(token.id, frameId)) {
      events.duplicateBatch();
      // A resent batch whose first answer was 503: its lines are queued, acknowledged with them.
      if (opts.acknowledged) await acknowledge(res, opts.acknowledged);
      else res.writeHead(204).end();
      return;
    }

    const now = new Date();
    const lines: LogLine[] = new Array(frames.length);
    // Each line's frame, for drains to copy from (see Subscriber); undefined where a token was scrubbed from MSG.
    const wires: (Uint8Array | undefined)[] = new Array(frames.length);
    for (let i = 0; i < frames.length; i++) {
      const parsed = parseSyslog(frames[i].toString(), now); // UTF-8; no arguments is toString's fast path
      if (!parsed.ok) {
        fail(res, 400, 'malformed', `Malformed log messages: frame ${i}: ${parsed.reason}.`);
        return;
      }
      const msg = parsed.value.msg;
      scrubLine(parsed.value, resolve); // a token pasted into a message is never stored (SPEC §3.2)
      lines[i] = parsed.value;
      wires[i] = parsed.value.msg === msg ? frames[i] : undefined;
    }
    if (!router.limiter.admit(token.app_id, lines.length)) {
      events.rejected('http', 'rate_limit', lines.length);
      sendText(res, 429, `Rate limit exceeded: this app may send ${router.limiter.linesPerSecond} lines/s.`, {
        'Retry-After': String(router.limiter.retryAfter(token.app_id, lines.length)),
      });
      return;
    }
    // Everything checked: now, and only now, route.
    if (typeof frameId === 'string' && frameId !== '') frameIds.add(token.id, frameId);
    // Without an ack mode the 204 goes out first: routing below runs in this same turn, before
    // any other request (or a read of history) is served, so no client can tell, and the sender
    // gets its answer — and sends its next batch — while the lines are routed.
    if (!opts.acknowledged) res.writeHead(204).end();
    for (let i = 0; i < lines.length; i++) {
      lines[i].source = token.name;
      router.publish(token.app_id, lines[i], wires[i]);
    }
    pool.release(body); // delivery is over: nothing refers to the frames now
    events.received('http', lines.length);
    if (opts.acknowledged) await acknowledge(res, opts.acknowledged);
  };
}

async function acknowledge(res: ServerResponse, acknowledged: () => Promise<void>): Promise<void> {
  try {
    await acknowledged();
    res.writeHead(204).end();
  } catch {
    sendText(res, 503, 'Not acknowledged: the lines could not be stored in time (written to disk with --ack durable, replicated with --ack replicated); send them again.', { 'Retry-After': '1' });
  }
}
