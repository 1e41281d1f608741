// Secret handling: constant-time comparison and the one-way hash used to store API keys.
import { createHash, timingSafeEqual } from 'node:crypto';

export function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Equal in time independent of where the strings differ (hashing first equalises lengths). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** Hex digest stored in place of an API key: a stolen database does not yield working keys. */
export function hashSecret(s: string): string {
  return sha256(s).toString('hex');
}
