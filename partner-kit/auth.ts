// HTTP Basic credentials and constant-time comparison, for drain requests and provisioning calls.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface BasicCredentials {
  username: string;
  password: string;
}

/** Decodes `Authorization: Basic base64(user:pass)`; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined | null): BasicCredentials | undefined {
  if (!header) return undefined;
  const m = /^basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Equal in time independent of where the strings differ (both are hashed to equal lengths first). */
export function safeEqual(a: string, b: string): boolean {
  const h = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

/**
 * True when the header carries exactly `username:password`. Use it for Sluice's provisioning calls
 * (user = your manifest `id`, password = `api.password`) and for drain URLs that carry user:pass.
 * Both halves are always compared, so the time taken does not tell which one was wrong.
 */
export function checkBasicAuth(header: string | undefined | null, username: string, password: string): boolean {
  const c = parseBasicAuth(header);
  if (!c) return false;
  const userOk = safeEqual(c.username, username);
  const passOk = safeEqual(c.password, password);
  return userOk && passOk;
}
