// One POST /logs of one batch over a keep-alive undici Client; says whether to retry. No timers
// of its own beyond the request timeout, no retry loop (that is the shipper's).
import { describeError, parseRetryAfter } from '../core/backoff.js';
import { Client } from 'undici';
import { VERSION } from '../core/version.js';
import type { Batch } from './queue.js';

export interface ShipTarget {
  /** `http(s)://host:port` — no userinfo. */
  origin: string;
  /** Usually `/logs`. */
  path: string;
  /** The log token (`t.…`): sent only as the Basic password. */
  token: string;
}

export type SendOutcome =
  | { kind: 'delivered' }
  /** Sluice refused the batch and would refuse it again (400, 401, 413, 415): give up at once. */
  | { kind: 'rejected'; reason: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number };

/**
 * Turns a Sluice input URL into a target: `http://host:port` (path `/logs` is added), or a full
 * log input URL `https://token:t.…@host/logs` as add-ons receive it (the token comes from it).
 */
export function parseTarget(url: string, token?: string): ShipTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('the Sluice URL is not a valid URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`the Sluice URL must be http:// or https://, not ${u.protocol}//`);
  const fromUrl = u.password ? decodeURIComponent(u.password) : undefined;
  const t = token || fromUrl;
  if (!t) throw new Error('no log token: give --token (or SLUICE_LOG_TOKEN), put it in the URL as token:t.…@, or give --app with SLUICE_API_KEY');
  const path = u.pathname === '/' || u.pathname === '' ? '/logs' : u.pathname;
  return { origin: u.origin, path, token: t };
}

export class Sender {
  private readonly client: Client;
  private readonly auth: string;

  constructor(
    private readonly target: ShipTarget,
    private readonly timeoutMs = 5_000,
  ) {
    this.client = new Client(target.origin, {
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: timeoutMs,
    });
    this.auth = `Basic ${Buffer.from(`token:${target.token}`).toString('base64')}`;
  }

  async send(batch: Batch, extra: { dropCount?: number; lostCount?: number } = {}, signal?: AbortSignal): Promise<SendOutcome> {
    let body = '';
    for (const m of batch.messages) body += `${Buffer.byteLength(m)} ${m}`;
    const headers: Record<string, string> = {
      authorization: this.auth,
      'content-type': 'application/logplex-1',
      'logplex-msg-count': String(batch.messages.length),
      'logplex-frame-id': batch.frameId,
      'user-agent': `sluice-shipper/${VERSION}`,
    };
    // log-shuttle's headers; Sluice ignores them, a proxy in between may find them useful.
    if (extra.dropCount) headers['logplex-drop-count'] = String(extra.dropCount);
    if (extra.lostCount) headers['logplex-lost-count'] = String(extra.lostCount);
    try {
      const res = await this.client.request({ method: 'POST', path: this.target.path, headers, body, signal });
      const text = (await res.body.text()).trim().split('\n', 1)[0].slice(0, 200);
      const s = res.statusCode;
      if (s >= 200 && s < 300) return { kind: 'delivered' };
      const reason = `HTTP ${s}${text ? `: ${text}` : ''}`;
      if (s === 408 || s === 429 || s >= 500) {
        return { kind: 'retry', reason, retryAfterMs: parseRetryAfter(res.headers['retry-after']) };
      }
      return { kind: 'rejected', reason };
    } catch (err) {
      return { kind: 'retry', reason: describeError(err) };
    }
  }

  async close(): Promise<void> {
    await this.client.destroy().catch(() => undefined);
  }
}
