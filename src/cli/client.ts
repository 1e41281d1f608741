// The CLI's Platform API client: JSON over fetch, errors turned into one clear sentence.
import type { CliConfig } from './config.js';

export class CliError extends Error {}

export class ApiClient {
  constructor(private readonly cfg: CliConfig) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.cfg.apiKey) {
      throw new CliError('No API key: set SLUICE_API_KEY or run `sluice login`.');
    }
    let res: Response;
    try {
      res = await fetch(`${this.cfg.url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.cfg.apiKey}`,
          Accept: 'application/vnd.heroku+json; version=3',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`Cannot reach Sluice at ${this.cfg.url} (${cause}). Is \`sluice serve\` running? Set SLUICE_URL.`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const msg = (json as { message?: string } | undefined)?.message ?? `HTTP ${res.status} for ${method} ${path}`;
      throw new CliError(msg);
    }
    return json as T;
  }

  get url(): string {
    return this.cfg.url;
  }
}

export const enc = encodeURIComponent;
