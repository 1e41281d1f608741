// Small HTTP plumbing shared by ingest and the API: bounded body reading, JSON and error replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SluiceError } from '../core/errors.js';
import type { BufferPool } from '../core/buffer-pool.js';

/**
 * Reads the whole body, refusing (413) as soon as it passes `limit` bytes. With a `pool`, a body
 * of declared length that comes in more than one chunk is joined in a pooled buffer: the caller
 * gives it back with `pool.release(body)` once nothing refers to its bytes.
 */
export function readBody(req: IncomingMessage, limit: number, pool?: BufferPool): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new SluiceError('payload_too_large', `Body too large: ${declared} bytes, limit ${limit}.`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    /** The pooled buffer the chunks are copied into, from the second chunk on. */
    let into: Buffer | undefined;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        cleanup();
        reject(new SluiceError('payload_too_large', `Body too large: over ${limit} bytes.`));
        return;
      }
      // Node's parser never passes more than Content-Length bytes to a request, so `into` holds them all.
      if (into !== undefined) c.copy(into, size - c.length);
      else if (chunks.length === 1 && pool?.fits(declared)) {
        into = pool.get(declared).subarray(0, declared);
        chunks[0].copy(into, 0);
        c.copy(into, chunks[0].length);
        chunks.length = 0;
      } else chunks.push(c);
    };
    const onEnd = (): void => {
      cleanup();
      if (into !== undefined) resolve(into.subarray(0, size));
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new SluiceError('bad_request', 'Request body incomplete: the client went away.'));
    };
    const onError = (): void => onAbort();
    function cleanup(): void {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAbort);
      req.off('error', onError);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAbort);
    req.on('error', onError);
  });
}

export async function readJson(req: IncomingMessage, limit = 1 << 20): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new SluiceError('bad_request', 'Request body is not valid JSON.');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** A request the server can no longer answer properly (the client left, headers went out) is just closed. */
export function sendError(res: ServerResponse, err: unknown): void {
  const e =
    err instanceof SluiceError ? err : new SluiceError('internal_error', 'Internal server error; see the server log.');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.status, e.toJSON());
}
