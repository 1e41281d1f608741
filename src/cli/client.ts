// The CLI's Platform API client: JSON over fetch with a timeout, errors turned into one clear sentence.
import type { CliConfig } from './config.js';

export class CliError extends Error {
  constructor(
    message: string,
    /**
     * Sluice answered 503: the request may or may not have been carried out (in cluster mode the
     * engine did not answer in time) and asking again may succeed. No answer at all is not
     * retried: that is far more often a wrong URL, and each attempt would cost the whole timeout.
     */
    readonly unknownOutcome = false,
  ) {
    super(message);
  }
}

/** Seconds between the attempts of a request that is safe to repeat (`ApiClient.retrying`). */
export const RETRY_WAITS_S = [1, 2, 4, 8];

/** Seconds a request may take before the CLI gives up (SLUICE_TIMEOUT or `sluice --timeout`). */
export const DEFAULT_TIMEOUT_S = 10;

export function timeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SLUICE_TIMEOUT;
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_S * 1000;
  const s = Number(raw);
  if (!Number.isFinite(s) || s <= 0) throw new CliError(`SLUICE_TIMEOUT must be a number of seconds above 0, got "${raw}".`);
  return Math.round(s * 1000);
}

/**
 * The base URL, checked before any request: a URL without a scheme would otherwise surface as
 * fetch's "invalid URL" or, worse, as "cannot reach" with advice that does not fit.
 */
export function checkUrl(url: string, what = 'SLUICE_URL'): string {
  if (!/^https?:\/\//i.test(url)) {
    throw new CliError(`${what} must start with http:// or https:// (got "${url}"), e.g. http://127.0.0.1:8601.`);
  }
  try {
    new URL(url);
  } catch {
    throw new CliError(`${what} is not a valid URL: "${url}".`);
  }
  return url;
}

/**
 * `fetch` that gives up after `ms` until the response headers arrive (the body of a tail may
 * stream forever) and says why in words: a port that accepts but never answers HTTP (the syslog
 * port, a wrong service) fails fast instead of hanging.
 */
export async function fetchWithTimeout(url: string, init: RequestInit, ms: number, base: string): Promise<Response> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new DOMException('timeout', 'TimeoutError')), ms);
  try {
    return await fetch(url, { ...init, signal: ctrl.signal });
  } catch (err) {
    if (ctrl.signal.aborted) {
      throw new CliError(
        `No HTTP answer from ${base} within ${ms / 1000} s. Is SLUICE_URL Sluice's HTTP port (8601 by default, not the syslog port)? ` +
          'Set SLUICE_TIMEOUT (seconds) to wait longer.',
      );
    }
    const e = err as { cause?: { code?: string; message?: string }; message: string };
    const cause = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new CliError(`Cannot reach Sluice at ${base} (${cause}). Is \`sluice serve\` running? Set SLUICE_URL.`);
  } finally {
    clearTimeout(timer);
  }
}

export class ApiClient {
  private readonly timeout: number;

  constructor(private readonly cfg: CliConfig) {
    this.timeout = cfg.timeoutMs ?? timeoutMs();
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    checkUrl(this.cfg.url);
    if (!this.cfg.apiKey) {
      throw new CliError('No API key: set SLUICE_API_KEY or run `sluice login`.');
    }
    const started = Date.now();
    const res = await fetchWithTimeout(
      `${this.cfg.url}${path}`,
      {
        method,
        headers: {
          Authorization: `Bearer ${this.cfg.apiKey}`,
          Accept: 'application/vnd.heroku+json; version=3',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
      this.timeout,
      this.cfg.url,
    );
    const text = await readWithin(res, Math.max(1, this.timeout - (Date.now() - started)), this.cfg.url);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const msg = (json as { message?: string } | undefined)?.message;
      // Every Sluice response carries a Request-Id and errors are JSON with a message: without
      // either, the URL points at some other server.
      if (msg === undefined && !res.headers.has('request-id')) {
        throw new CliError(
          `HTTP ${res.status} for ${method} ${path} from ${this.cfg.url}, which does not look like a Sluice server ` +
            `(no Request-Id header, no JSON error). Check SLUICE_URL: \`curl ${this.cfg.url}/healthz\` should answer {"status":"ok",…}.`,
        );
      }
      throw new CliError(msg ?? `HTTP ${res.status} for ${method} ${path}`, res.status === 503);
    }
    return json as T;
  }

  /**
   * A request that is safe to repeat (it carries an Idempotency-Key), asked again while Sluice
   * answers 503 (in cluster mode: the engine did not answer; the write may still land), after
   * 1, 2, 4 and 8 s, each wait told through `note`.
   */
  async retrying<T>(method: string, path: string, body: unknown, headers: Record<string, string>, note: (line: string) => void): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await this.request<T>(method, path, body, headers);
      } catch (err) {
        const wait = RETRY_WAITS_S[i];
        if (!(err instanceof CliError) || !err.unknownOutcome || wait === undefined) throw err;
        note(`${err.message} Asking again in ${wait} s (the request carries an Idempotency-Key, so a repeat is safe).`);
        await new Promise((r) => setTimeout(r, wait * 1000));
      }
    }
  }

  get url(): string {
    return this.cfg.url;
  }
}

async function readWithin(res: Response, ms: number, base: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`${base} sent headers but no complete answer within ${ms / 1000} s.`)), ms);
  });
  try {
    return await Promise.race([res.text(), late]);
  } finally {
    clearTimeout(timer);
    void res.body?.cancel().catch(() => {});
  }
}

export const enc = encodeURIComponent;
