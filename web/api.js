// The console's only way out: the Platform API on this origin, with the key as a Bearer token.
// The key lives in sessionStorage (gone when the tab closes) and only ever in a header, never a URL.

const KEY_ITEM = 'sluice.apiKey';

/** An API call that failed; `kind` says what the person can do about it. */
export class ApiError extends Error {
  /**
   * @param {'refused' | 'network' | 'http'} kind
   * @param {string} message
   * @param {number} [status]
   */
  constructor(kind, message, status) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status ?? 0;
  }
}

/** @returns {string | null} */
export function storedKey() {
  try {
    return sessionStorage.getItem(KEY_ITEM);
  } catch {
    return null;
  }
}

/** @param {string | null} key */
export function storeKey(key) {
  try {
    if (key === null) sessionStorage.removeItem(KEY_ITEM);
    else sessionStorage.setItem(KEY_ITEM, key);
  } catch {
    /* storage disabled: the key lasts as long as the page */
  }
}

/**
 * @param {string} key
 * @param {'GET' | 'POST' | 'DELETE' | 'PATCH'} method
 * @param {string} path  already URL-encoded where it holds names
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function call(key, method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${key}`, Accept: 'application/vnd.heroku+json; version=3' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError('network', "Can't reach the Sluice node: is it running, and is the network up?");
  }
  const text = await res.text().catch(() => '');
  /** @type {any} */
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.status === 401) throw new ApiError('refused', 'That key was refused.', 401);
  if (!res.ok) {
    const why = json && typeof json.message === 'string' ? json.message : `HTTP ${res.status}`;
    throw new ApiError('http', why, res.status);
  }
  return json;
}

/** @param {string} name */
export const seg = (name) => encodeURIComponent(name);

/**
 * The session's URL on this origin. `logplex_url` is built from the node's public URL, which may
 * name another host (a proxy, a cluster's front); the CSP lets the console talk only to the
 * origin that served it, and any node of a cluster serves any session.
 * @param {string} logplexUrl
 */
export function sameOrigin(logplexUrl) {
  const u = new URL(logplexUrl, location.href);
  return u.origin === location.origin ? u.href : `${u.pathname}${u.search}`;
}

/**
 * A drain URL fit for the screen: a password in it is replaced by `***`.
 * @param {string} raw
 */
export function redactUrl(raw) {
  try {
    const u = new URL(raw);
    if (!u.password) return raw;
    u.password = '***';
    return u.href;
  } catch {
    return raw;
  }
}
