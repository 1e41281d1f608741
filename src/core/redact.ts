// Redaction of secrets in text bound for logs, metrics, error messages and lines other drains see.

/** Log tokens, drain tokens, generated API keys and session secrets as they appear in text. */
const TOKEN = /\b([td])\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const API_KEY = /\bsk_[A-Za-z0-9_-]{20,}/g;
/** userinfo in any URL: `scheme://user:pass@host`. */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi;

/** Replaces every secret-shaped substring with a fixed marker; cheap enough for log lines. */
export function redactText(text: string): string {
  return text.replace(USERINFO, '$1[redacted]@').replace(TOKEN, '$1.[redacted]').replace(API_KEY, 'sk_[redacted]');
}

/**
 * A URL without user, password or query values: for logs, metrics, L14 lines, error messages
 * and `heroku[api]` lines that every drain of the app receives. Query names stay (they say what
 * the receiver expects); values may be secrets (`?token=…`), so they become `[redacted]`.
 */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (!u.username && !u.password && !u.search) return raw;
    u.username = '';
    u.password = '';
    if (u.search) {
      const names = [...u.searchParams.keys()];
      u.search = names.map((n) => `${encodeURIComponent(n)}=[redacted]`).join('&');
    }
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
