// The provisioning client: Sluice's calls to a partner's base_url (SPEC §6.2, §6.5).
//
// Every call carries Basic `id:api.password` and the v3 add-ons Accept header, is bounded by a
// timeout (25 s by default, as Heroku's) that covers the whole response, and is retried with the
// same body — so with the same `uuid` — when the partner could not answer: at-least-once
// delivery, which the partner API asks partners to absorb by being idempotent. Redirects are
// never followed (a 3xx is a failure), and no call is ever dialled at a link-local address.
import { Agent, request } from 'undici';
import { VERSION } from '../core/version.js';
import { guardedLookup, literalRefusal } from '../drains/address-guard.js';

export const ADDONS_ACCEPT = 'application/vnd.heroku-addons+json; version=3';
const MAX_REPLY_BYTES = 1 << 20;

export interface PartnerEndpoint {
  /** Manifest id: the Basic auth user. */
  id: string;
  /** Manifest api.password: the Basic auth password (a secret: never in a message). */
  password: string;
  /** Manifest api.production.base_url, without a trailing slash. */
  baseUrl: string;
}

export interface CallPolicy {
  /** Per attempt, from sending to the last byte of the reply. */
  timeoutMs: number;
  /** Attempts in all (≥ 2: "retried at least once"). */
  attempts: number;
  /** Pause before a retry. */
  retryDelayMs: number;
}

export const DEFAULT_POLICY: CallPolicy = { timeoutMs: 25_000, attempts: 2, retryDelayMs: 500 };

export type PartnerReply =
  | { ok: true; status: number; body: unknown }
  /** `reason` is a sentence fit for the user: it names no secret. */
  | { ok: false; status?: number; reason: string };

type Attempt = PartnerReply & { retryable: boolean; late?: Promise<Attempt> };

/** Partner calls dial through the guarded lookup: never a link-local address, whatever DNS says. */
const agent = new Agent({ connect: { lookup: guardedLookup(false) }, keepAliveTimeout: 10_000 });

/** How long an attempt that timed out may still answer: a late 2xx means the partner made something. */
const LATE_WINDOW_MS = 5 * 60_000;

export interface CallOptions {
  /**
   * A 2xx that arrived after its attempt had timed out, when the call as a whole failed (or
   * succeeded with a different `id`): the partner made an installation nobody will use.
   */
  onLate?: (reply: { status: number; body: unknown }) => void;
}

/** `POST base`, `PUT base/{id}` or `DELETE base/{id}`, retried while the partner cannot answer. */
export async function callPartner(
  ep: PartnerEndpoint,
  method: 'POST' | 'PUT' | 'DELETE',
  providerId: string | undefined,
  body: unknown,
  policy: CallPolicy,
  o: CallOptions = {},
): Promise<PartnerReply> {
  const url = providerId === undefined ? ep.baseUrl : `${ep.baseUrl}/${encodeURIComponent(providerId)}`;
  let last: Attempt | undefined;
  const late: Array<Promise<Attempt>> = [];
  for (let i = 0; i < Math.max(1, policy.attempts); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, policy.retryDelayMs));
    last = await attempt(ep, method, url, body, policy.timeoutMs);
    if (last.late) late.push(last.late);
    if (last.ok || !last.retryable) break;
  }
  const { retryable: _r, late: _l, ...reply } = last!;
  if (o.onLate && late.length > 0) {
    const finalId = reply.ok ? idOf(reply.body) : undefined;
    for (const p of late) {
      void p.then((r) => {
        if (r.ok && (finalId === undefined || idOf(r.body) !== finalId)) o.onLate!({ status: r.status, body: r.body });
      });
    }
  }
  if (!reply.ok && policy.attempts > 1 && last!.retryable) {
    return { ...reply, reason: `${reply.reason} (tried ${policy.attempts} times)` };
  }
  return reply;
}

const idOf = (body: unknown): string | undefined => {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
};

/**
 * One request. Past `timeoutMs` the caller gets a retryable failure at once, but the request
 * itself may go on answering for a while (`late`), so that a partner that answers 201 after the
 * timeout can still be told to remove what it made.
 */
async function attempt(ep: PartnerEndpoint, method: string, url: string, body: unknown, timeoutMs: number): Promise<Attempt> {
  const headers: Record<string, string> = {
    Authorization: `Basic ${Buffer.from(`${ep.id}:${ep.password}`).toString('base64')}`,
    Accept: ADDONS_ACCEPT,
    'User-Agent': `Sluice/${VERSION}`,
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  // connect() skips `lookup` for IP literals: those are checked here, in every spelling.
  const refused = literalRefusal(host, false);
  if (refused) return { ok: false, reason: `could not be called: ${refused.replace('drains to it', 'partner calls to it')}`, retryable: false };
  const ac = new AbortController();
  const hard = setTimeout(() => ac.abort(), LATE_WINDOW_MS);
  hard.unref();
  const exchange = send(url, method, headers, body, ac.signal).finally(() => clearTimeout(hard));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const first = await Promise.race([exchange, timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') return { ok: false, reason: `did not answer within ${formatMs(timeoutMs)}`, retryable: true, late: exchange };
  return first;
}

async function send(url: string, method: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<Attempt> {
  try {
    // undici's request never follows redirects: a 3xx is an answer, and a failure (below).
    const res = await request(url, {
      method: method as 'POST' | 'PUT' | 'DELETE',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      dispatcher: agent,
    });
    const text = await readLimited(res.body);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      if (json === undefined) return { ok: false, status, reason: `answered ${status} with a body that is not JSON`, retryable: false };
      return { ok: true, status, body: json, retryable: false };
    }
    if (status >= 300 && status < 400) {
      return { ok: false, status, reason: `answered ${status}, a redirect (partner calls never follow redirects)`, retryable: false };
    }
    const said = partnerMessage(json);
    const retryable = status >= 500 || status === 408 || status === 429;
    return { ok: false, status, reason: `answered ${status}${said ? `: ${said}` : ''}`, retryable };
  } catch (err) {
    if (signal.aborted) return { ok: false, reason: 'did not answer', retryable: true };
    if (err instanceof ReplyTooLarge) return { ok: false, reason: err.message, retryable: false };
    const e = err as { code?: string; message?: string; cause?: { code?: string } };
    // A refused address (the guarded lookup) carries its reason as the message and no code.
    if (!e.code && !e.cause?.code && e.message && / address \(/.test(e.message)) {
      return { ok: false, reason: `could not be called: ${e.message.replace('drains to it', 'partner calls to it')}`, retryable: false };
    }
    return { ok: false, reason: `could not be reached (${e.code ?? e.cause?.code ?? 'network error'})`, retryable: true };
  }
}

class ReplyTooLarge extends Error {}

async function readLimited(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > MAX_REPLY_BYTES) throw new ReplyTooLarge(`answered with more than ${MAX_REPLY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The partner's own `message` (or `error`), made safe to show: one line, printable, short. */
function partnerMessage(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const m = (json as { message?: unknown; error?: unknown }).message ?? (json as { error?: unknown }).error;
  return typeof m === 'string' && m ? oneLine(m) : undefined;
}

export function oneLine(s: string, max = 300): string {
  let clean = '';
  for (const ch of s) clean += ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? ' ' : ch;
  clean = clean.replace(/ {2,}/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

const formatMs = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
