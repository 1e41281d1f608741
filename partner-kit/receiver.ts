// Receiving a drain request: authenticate, parse, de-duplicate, hand over, answer (SPEC §4.1, §6.6).
//
//   POST ─▶ 405?  token/Basic ─▶ 401   Content-Type ─▶ 415   size ─▶ 413   framing/count ─▶ 400
//        ─▶ seen Frame-Id? ─▶ 204 (ignored)  ─▶ onBatch ─▶ 204 │ throws ─▶ 500 (Sluice retries)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseBasicAuth } from './auth.js';
import { FrameIdSet } from './dedupe.js';
import { parseDrainBody, type DrainLogRecord, type InvalidFrame } from './records.js';

/** What `authenticate` is given to decide whether a request comes from a drain it knows. */
export interface DrainCredentials {
  /** `Logplex-Drain-Token`: the `d.…` token Sluice sent you in the provision call. */
  drainToken: string;
  /** From `Authorization: Basic`, i.e. the user:pass of the `log_drain_url` you returned. */
  username?: string;
  password?: string;
  /** The request's path and query (e.g. `/drains/42`), if you route installations by path. */
  path: string;
}

export interface DrainBatch<T> {
  /** Whatever `authenticate` returned: typically your installation record. */
  installation: T;
  drainToken: string;
  /** `Logplex-Frame-Id`; undefined when the sender did not set one (then no de-duplication). */
  frameId?: string;
  records: DrainLogRecord[];
  /** Frames whose syslog header could not be read (they are not in `records`). */
  invalid: InvalidFrame[];
}

export interface DrainReceiverOptions<T> {
  /**
   * Return your installation for these credentials, or undefined to refuse (401). Compare
   * secrets with `safeEqual`/`checkBasicAuth` from this kit, never with `===`.
   */
  authenticate(creds: DrainCredentials): T | undefined | Promise<T | undefined>;
  /** Store the batch. Throwing answers 500, and Sluice retries the batch later with the same Frame-Id. */
  onBatch(batch: DrainBatch<T>): void | Promise<void>;
  /** Batches already taken; `false` turns de-duplication off. Default: a 10-minute in-memory set. */
  dedupe?: FrameIdSet | false;
  /** Largest body accepted (default 5 MiB; Sluice sends ≤ ~100 KiB). */
  maxBodyBytes?: number;
  /** Largest single frame (default 64 KiB). */
  maxFrameBytes?: number;
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

/** A request in framework-neutral form: what every HTTP framework can give you. */
export interface DrainRequest {
  method?: string;
  /** Path and query; used only to tell `authenticate`. */
  path?: string;
  headers: HeaderBag;
  body: Uint8Array | string;
}

export interface DrainResponse {
  status: number;
  headers: Record<string, string>;
  /** A one-line reason (empty on success). */
  body: string;
}

const CONTENT_TYPES = new Set(['application/logplex-1', 'application/x-logplex-1']);

function header(h: HeaderBag, name: string): string | undefined {
  if (typeof (h as Headers).get === 'function') return (h as Headers).get(name) ?? undefined;
  const v = (h as Record<string, string | string[] | undefined>)[name] ?? (h as Record<string, string | string[] | undefined>)[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

const reply = (status: number, body = '', headers: Record<string, string> = {}): DrainResponse => ({
  status,
  headers: body ? { 'Content-Type': 'text/plain; charset=utf-8', ...headers } : headers,
  body: body ? `${body}\n` : '',
});

/**
 * Builds the framework-neutral handler: give it method, headers and the raw body, send back what
 * it returns. Use it from Hono, Fastify, a Lambda, or a test.
 */
export function createDrainReceiver<T>(opts: DrainReceiverOptions<T>): (req: DrainRequest) => Promise<DrainResponse> {
  const seen = opts.dedupe === false ? undefined : (opts.dedupe ?? new FrameIdSet());
  const maxBody = opts.maxBodyBytes ?? 5 * 1024 * 1024;

  return async (req) => {
    if (req.method !== undefined && req.method.toUpperCase() !== 'POST') return reply(405, 'POST drain batches here.', { Allow: 'POST' });
    const drainToken = header(req.headers, 'logplex-drain-token')?.trim();
    const basic = parseBasicAuth(header(req.headers, 'authorization'));
    const installation = drainToken
      ? await opts.authenticate({ drainToken, username: basic?.username, password: basic?.password, path: req.path ?? '/' })
      : undefined;
    if (!drainToken || installation === undefined) {
      return reply(401, drainToken ? 'Unknown drain or wrong credentials.' : 'Missing Logplex-Drain-Token.', {
        'WWW-Authenticate': 'Basic realm="drain"',
      });
    }
    const ctype = (header(req.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!CONTENT_TYPES.has(ctype)) return reply(415, `Expected Content-Type application/logplex-1, got "${ctype}".`);
    const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
    if (body.byteLength > maxBody) return reply(413, `Body over ${maxBody} bytes.`);
    const frameId = header(req.headers, 'logplex-frame-id')?.trim() || undefined;
    if (frameId && seen?.has(drainToken, frameId)) return reply(204);

    const parsed = parseDrainBody(body, opts.maxFrameBytes);
    if (!parsed.ok) return reply(400, `Malformed body: ${parsed.reason}.`);
    const count = header(req.headers, 'logplex-msg-count');
    const frames = parsed.records.length + parsed.invalid.length;
    if (count !== undefined && Number(count) !== frames) return reply(400, `Logplex-Msg-Count says ${count}, the body has ${frames} frames.`);
    try {
      await opts.onBatch({ installation, drainToken, frameId, records: parsed.records, invalid: parsed.invalid });
    } catch {
      return reply(500, 'Could not store the batch; retry later.');
    }
    if (frameId) seen?.add(drainToken, frameId);
    return reply(204);
  };
}

/** Reads a node:http request body up to `limit` bytes; undefined when it is larger. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A `(req, res)` handler for `node:http`, Express and anything else built on them. If a body
 * parser already read the body into `req.body` as a Buffer or string (e.g. `express.raw({type:
 * 'application/logplex-1'})`), that is used; otherwise the body is read here.
 */
export function drainHandler<T>(opts: DrainReceiverOptions<T>): (req: IncomingMessage, res: ServerResponse) => void {
  const receive = createDrainReceiver(opts);
  const limit = opts.maxBodyBytes ?? 5 * 1024 * 1024;
  return (req, res) => {
    const pre = (req as IncomingMessage & { body?: unknown }).body;
    const body: Promise<Buffer | string | undefined> =
      Buffer.isBuffer(pre) || typeof pre === 'string' ? Promise.resolve(pre) : readBody(req, limit);
    body
      .then((b) =>
        b === undefined
          ? reply(413, `Body over ${limit} bytes.`, { Connection: 'close' })
          : receive({ method: req.method, path: req.url, headers: req.headers, body: b }),
      )
      .then(
        (r) => {
          res.writeHead(r.status, { ...r.headers, 'Content-Length': String(Buffer.byteLength(r.body)) });
          res.end(r.body);
        },
        () => {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        },
      );
  };
}
