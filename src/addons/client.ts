// The provisioning client: Sluice's calls to a partner's base_url (SPEC §6.2, §6.5).
//
// Every call carries Basic `id:api.password` and the v3 add-ons Accept header, is bounded by a
// timeout (25 s by default, as Heroku's) that covers the whole response, and is retried with the
// same body — so with the same `uuid` — when the partner could not answer: at-least-once
// delivery, which the partner API asks partners to absorb by being idempotent.
import { VERSION } from '../core/version.js';

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

type Attempt = PartnerReply & { retryable: boolean };

/** `POST base`, `PUT base/{id}` or `DELETE base/{id}`, retried while the partner cannot answer. */
export async function callPartner(
  ep: PartnerEndpoint,
  method: 'POST' | 'PUT' | 'DELETE',
  providerId: string | undefined,
  body: unknown,
  policy: CallPolicy,
): Promise<PartnerReply> {
  const url = providerId === undefined ? ep.baseUrl : `${ep.baseUrl}/${encodeURIComponent(providerId)}`;
  let last: Attempt | undefined;
  for (let i = 0; i < Math.max(1, policy.attempts); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, policy.retryDelayMs));
    last = await attempt(ep, method, url, body, policy.timeoutMs);
    if (last.ok || !last.retryable) break;
  }
  const { retryable: _r, ...reply } = last!;
  if (!reply.ok && policy.attempts > 1 && last!.retryable) {
    return { ...reply, reason: `${reply.reason} (tried ${policy.attempts} times)` };
  }
  return reply;
}

async function attempt(ep: PartnerEndpoint, method: string, url: string, body: unknown, timeoutMs: number): Promise<Attempt> {
  const signal = AbortSignal.timeout(timeoutMs);
  const headers: Record<string, string> = {
    Authorization: `Basic ${Buffer.from(`${ep.id}:${ep.password}`).toString('base64')}`,
    Accept: ADDONS_ACCEPT,
    'User-Agent': `Sluice/${VERSION}`,
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    const text = await readLimited(res);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300) {
      if (json === undefined) return { ok: false, status: res.status, reason: `answered ${res.status} with a body that is not JSON`, retryable: false };
      return { ok: true, status: res.status, body: json, retryable: false };
    }
    const said = partnerMessage(json);
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    return { ok: false, status: res.status, reason: `answered ${res.status}${said ? `: ${said}` : ''}`, retryable };
  } catch (err) {
    if (signal.aborted) return { ok: false, reason: `did not answer within ${formatMs(timeoutMs)}`, retryable: true };
    if (err instanceof ReplyTooLarge) return { ok: false, reason: err.message, retryable: false };
    const code = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, reason: `could not be reached (${code ?? 'network error'})`, retryable: true };
  }
}

class ReplyTooLarge extends Error {}

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
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
