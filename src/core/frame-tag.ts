// The tag that opens every Logplex-Frame-Id this installation sends, so its own output is known when it comes back.
import { createHash } from 'node:crypto';

/**
 * Every Frame-Id a drain sends is 32 uppercase hex digits whose first 12 are the drain's tag,
 * derived from its token (a credential only this installation and the receiver hold), so input
 * that carries one is our own drain's output come back — a loop, even through a relay that strips
 * the `Logplex-Drain-Token` header (src/router/loop-guard.ts). 48 bits: a stranger's random
 * Frame-Id matches one of 10,000 drains' tags about once in 3·10^10 requests.
 */
export const FRAME_TAG_LENGTH = 12;

/** The drain's Frame-Id tag: 12 hex digits of a hash of its token (never the token itself). */
export function frameTag(drainToken: string): string {
  return createHash('sha256').update(`sluice-frame-tag:${drainToken.toLowerCase()}`).digest('hex').slice(0, FRAME_TAG_LENGTH).toUpperCase();
}
