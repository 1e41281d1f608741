// The secret a request carries, from `Bearer <secret>` or `Basic base64(user:secret)`.
import type { IncomingMessage } from 'node:http';

/** Extracts the secret from `Bearer <key>` or `Basic base64(user:key)`; undefined when absent. */
export function credentials(req: IncomingMessage): { user: string; secret: string } | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const space = h.indexOf(' ');
  const scheme = h.slice(0, space).toLowerCase();
  const value = h.slice(space + 1).trim();
  if (scheme === 'bearer' && value) return { user: '', secret: value };
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  return undefined;
}
